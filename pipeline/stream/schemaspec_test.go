package stream

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseSchema(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want string // FormatSchema of the result
	}{
		{"one field", "text:string", "text:string"},
		{"all primitives",
			"a:string,b:large_string,c:binary,d:large_binary,e:bool,f:int8,g:int16,h:int32,i:int64,j:uint8,k:uint16,l:uint32,m:uint64,n:float32,o:float64",
			"a:string,b:large_string,c:binary,d:large_binary,e:bool,f:int8,g:int16,h:int32,i:int64,j:uint8,k:uint16,l:uint32,m:uint64,n:float32,o:float64"},
		{"spaces", "  a : string ,\tb:list< int64 > ", "a:string,b:list<int64>"},
		{"lists", "a:list<string>,b:large_list<float32>,c:fixed_size_list<float32>[384]",
			"a:list<string>,b:large_list<float32>,c:fixed_size_list<float32>[384]"},
		{"nested lists", "a:list<list<fixed_size_list<int8>[2]>>", "a:list<list<fixed_size_list<int8>[2]>>"},
		{"struct", "meta:struct<lang:string,year:int16>,x:int32", "meta:struct<lang:string,year:int16>,x:int32"},
		{"struct in list in struct", "a:struct<b:list<struct<c:int64,d:list<string>>>,e:bool>",
			"a:struct<b:list<struct<c:int64,d:list<string>>>,e:bool>"},
		{"empty struct", "a:struct<>", "a:struct<>"},
		{"quoted names", `"a:b":string,"c,d":int64,"e\"f":bool,"":float64`, `"a:b":string,"c,d":int64,"e\"f":bool,"":float64`},
		{"quoted name in struct", `s:struct<"x,y":int8>`, `s:struct<"x,y":int8>`},
		{"unicode names", "café:string,数:int64", "café:string,数:int64"},
		{"quoted plain name", `"plain":string`, "plain:string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSchema(tt.spec)
			if err != nil {
				t.Fatalf("ParseSchema(%q): %v", tt.spec, err)
			}
			if got := FormatSchema(s); got != tt.want {
				t.Fatalf("FormatSchema = %q, want %q", got, tt.want)
			}
			for _, f := range s.Fields() {
				if !f.Nullable {
					t.Errorf("field %q is not nullable", f.Name)
				}
			}
			again, err := ParseSchema(tt.want)
			if err != nil {
				t.Fatalf("ParseSchema(FormatSchema): %v", err)
			}
			if !again.Equal(s) {
				t.Fatalf("round trip: got %s, want %s", again, s)
			}
		})
	}
}

func TestParseSchemaErrors(t *testing.T) {
	tests := []struct {
		spec string
		want string
	}{
		{"", `robustdata/pipeline: schema "": position 1: empty schema (want name:type,name:type,...)`},
		{"doc_id:string,x:flaot32", `robustdata/pipeline: schema "doc_id:string,x:flaot32": position 17: unknown type "flaot32" (did you mean "float32"?)`},
		{"a:blob", `robustdata/pipeline: schema "a:blob": position 3: unknown type "blob"`},
		{"a:String", `robustdata/pipeline: schema "a:String": position 3: unknown type "String" (did you mean "string"?)`},
		{"a", `robustdata/pipeline: schema "a": position 2: expected ':' after field name "a", got end of schema`},
		{"a:", `robustdata/pipeline: schema "a:": position 3: expected a type, got end of schema`},
		{"a:string,", `robustdata/pipeline: schema "a:string,": position 10: expected a field name, got end of schema`},
		{"a:string b:int64", `robustdata/pipeline: schema "a:string b:int64": position 10: unexpected 'b' after the last field (want ',')`},
		{"a:string,a:int64", `robustdata/pipeline: schema "a:string,a:int64": position 10: duplicate field name "a"`},
		{"a:list<string", `robustdata/pipeline: schema "a:list<string": position 14: expected '>' to close list<, got end of schema`},
		{"a:list", `robustdata/pipeline: schema "a:list": position 7: expected '<' after list, got end of schema`},
		{"a:fixed_size_list<float32>", `robustdata/pipeline: schema "a:fixed_size_list<float32>": position 27: expected '[' with the size of fixed_size_list<...>[N], got end of schema`},
		{"a:fixed_size_list<float32>[0]", `robustdata/pipeline: schema "a:fixed_size_list<float32>[0]": position 28: fixed_size_list size must be an integer from 1 to 2147483647, got "0"`},
		{"a:fixed_size_list<float32>[x]", `robustdata/pipeline: schema "a:fixed_size_list<float32>[x]": position 28: fixed_size_list size must be an integer from 1 to 2147483647, got ""`},
		{"a:struct<b:int8 c:int8>", `robustdata/pipeline: schema "a:struct<b:int8 c:int8>": position 17: expected ',' or '>' after field "b", got 'c'`},
		{"a:struct<b:int8,b:int8>", `robustdata/pipeline: schema "a:struct<b:int8,b:int8>": position 17: duplicate field name "b"`},
		{`"a:string`, `robustdata/pipeline: schema "\"a:string": position 1: unterminated quoted name`},
		{"é:flaot32", `robustdata/pipeline: schema "é:flaot32": position 3: unknown type "flaot32" (did you mean "float32"?)`},
		{"a:float16", `robustdata/pipeline: schema "a:float16": position 3: unknown type "float16" (did you mean "float32"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchema(tt.spec)
			if err == nil {
				t.Fatalf("ParseSchema(%q) = %s, want error", tt.spec, s)
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseSchemaDepthLimit(t *testing.T) {
	spec := "a:" + strings.Repeat("list<", 100) + "int8" + strings.Repeat(">", 100)
	_, err := ParseSchema(spec)
	if err == nil || !strings.Contains(err.Error(), "types nested deeper than 64") {
		t.Fatalf("err = %v, want a depth error", err)
	}
}

func TestFormatSchemaRoundTrip(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "fsl", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "a:b", Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "y", Type: arrow.ListOf(arrow.StructOf(
				arrow.Field{Name: "z", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
		), Nullable: true},
	}, nil)
	spec := FormatSchema(s)
	want := `s:string,ls:large_string,bin:binary,b:bool,i8:int8,u64:uint64,f32:float32,f64:float64,l:list<string>,fsl:fixed_size_list<float32>[3],"a:b":struct<x:int64,y:list<struct<z:string>>>`
	if spec != want {
		t.Fatalf("FormatSchema:\n got %s\nwant %s", spec, want)
	}
	back, err := ParseSchema(spec)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(s) {
		t.Fatalf("round trip:\n got %s\nwant %s", back, s)
	}
}

func TestFormatSchemaOtherTypes(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}},
	}, nil)
	if got, want := FormatSchema(s), "ts:timestamp[ms, tz=UTC]"; got != want {
		t.Fatalf("FormatSchema = %q, want %q", got, want)
	}
	if got := FormatSchema(nil); got != "" {
		t.Fatalf("FormatSchema(nil) = %q", got)
	}
}
