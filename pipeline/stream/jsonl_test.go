package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/robustdata/robustdata/internal/longtest"
)

// mustSchema parses a schema spec or fails the test.
func mustSchema(t testing.TB, spec string) *arrow.Schema {
	t.Helper()
	s, err := ParseSchema(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readAllJSONL reads input through a jsonlReader named "in.jsonl" and
// returns all rows as one record (nil when there are none), the schema and
// the size of each batch. The caller releases the record.
func readAllJSONL(t testing.TB, input io.Reader, c *config) (arrow.RecordBatch, *arrow.Schema, []int, error) {
	t.Helper()
	r, err := newJSONLReader("in.jsonl", input, c)
	if err != nil {
		return nil, nil, nil, err
	}
	defer r.Close()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var sizes []int
	var total int64
	for {
		b, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r.Schema(), sizes, err
		}
		if !b.Schema().Equal(r.Schema()) {
			t.Fatalf("batch schema %s differs from reader schema %s", b.Schema(), r.Schema())
		}
		b.Retain()
		batches = append(batches, b)
		sizes = append(sizes, int(b.NumRows()))
		total += b.NumRows()
	}
	if len(batches) == 0 {
		return nil, r.Schema(), nil, nil
	}
	schema := r.Schema()
	cols := make([]arrow.Array, schema.NumFields())
	for i := range cols {
		parts := make([]arrow.Array, len(batches))
		for j, b := range batches {
			parts[j] = b.Column(i)
		}
		cols[i], err = array.Concatenate(parts, c.mem)
		if err != nil {
			t.Fatal(err)
		}
	}
	rec := array.NewRecordBatch(schema, cols, total)
	for _, a := range cols {
		a.Release()
	}
	return rec, schema, sizes, nil
}

// recordFromJSON builds the expected record with arrow-go's own JSON
// decoding from a JSON array of objects.
func recordFromJSON(t testing.TB, mem memory.Allocator, schema *arrow.Schema, rows string) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(rows))
	if err != nil {
		t.Fatalf("RecordFromJSON: %v", err)
	}
	return rec
}

// assertRecord compares got with the rows of want (a JSON array).
func assertRecord(t *testing.T, mem memory.Allocator, got arrow.RecordBatch, wantRows string) {
	t.Helper()
	want := recordFromJSON(t, mem, got.Schema(), wantRows)
	defer want.Release()
	if !array.RecordEqual(got, want) {
		t.Fatalf("records differ:\n got %v\nwant %v", got, want)
	}
}

func TestJSONLInfer(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		schema string // FormatSchema of the inferred schema
		rows   string // expected rows as a JSON array
	}{
		{
			name:   "each kind",
			input:  `{"s":"x","b":true,"i":-3,"f":1.5,"e":1e3,"n":null,"li":[1,2],"lf":[1,2.5],"le":[],"ls":["a",null],"o":{"a":1,"b":"x"}}`,
			schema: "s:string,b:bool,i:int64,f:float64,e:float64,n:string,li:list<int64>,lf:list<float64>,le:list<string>,ls:list<string>,o:struct<a:int64,b:string>",
			rows:   `[{"s":"x","b":true,"i":-3,"f":1.5,"e":1000,"n":null,"li":[1,2],"lf":[1,2.5],"le":[],"ls":["a",null],"o":{"a":1,"b":"x"}}]`,
		},
		{
			name:   "int widens to float",
			input:  "{\"x\":1}\n{\"x\":2.5}\n{\"x\":3}\n",
			schema: "x:float64",
			rows:   `[{"x":1},{"x":2.5},{"x":3}]`,
		},
		{
			name:   "int beyond int64 is float",
			input:  `{"x":18446744073709551616}`,
			schema: "x:float64",
			rows:   `[{"x":18446744073709551616}]`,
		},
		{
			name:   "keys in order of first appearance, missing keys null",
			input:  "{\"b\":1}\n{\"a\":\"x\",\"b\":2}\n{\"c\":false}\n",
			schema: "b:int64,a:string,c:bool",
			rows:   `[{"b":1},{"a":"x","b":2},{"c":false}]`,
		},
		{
			name:   "null first then a kind",
			input:  "{\"x\":null}\n{\"x\":true}\n",
			schema: "x:bool",
			rows:   `[{"x":null},{"x":true}]`,
		},
		{
			name:   "only null is string",
			input:  "{\"x\":null}\n{\"x\":null}\n",
			schema: "x:string",
			rows:   `[{"x":null},{"x":null}]`,
		},
		{
			name:   "list elements widen across lines",
			input:  "{\"l\":[1]}\n{\"l\":[]}\n{\"l\":[2.5]}\n{\"l\":null}\n",
			schema: "l:list<float64>",
			rows:   `[{"l":[1]},{"l":[]},{"l":[2.5]},{"l":null}]`,
		},
		{
			name:   "empty arrays give no info",
			input:  "{\"l\":[]}\n{\"l\":[\"a\"]}\n",
			schema: "l:list<string>",
			rows:   `[{"l":[]},{"l":["a"]}]`,
		},
		{
			name:   "nested objects merge keys",
			input:  "{\"o\":{\"a\":1}}\n{\"o\":{\"b\":{\"c\":[true]}}}\n{\"o\":null}\n",
			schema: "o:struct<a:int64,b:struct<c:list<bool>>>",
			rows:   `[{"o":{"a":1}},{"o":{"b":{"c":[true]}}},{"o":null}]`,
		},
		{
			name:   "arrays of objects and arrays",
			input:  `{"l":[{"a":1},{"b":"x"}],"m":[[1],[2,3.5]]}`,
			schema: "l:list<struct<a:int64,b:string>>,m:list<list<float64>>",
			rows:   `[{"l":[{"a":1},{"b":"x"}],"m":[[1],[2,3.5]]}]`,
		},
		{
			name:   "empty input",
			input:  "",
			schema: "",
		},
		{
			name:   "blank lines only",
			input:  "\n  \n\t\r\n",
			schema: "",
		},
		{
			name:   "empty object",
			input:  "{}\n{}\n",
			schema: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			c := newConfig(WithAllocator(mem))
			rec, schema, _, err := readAllJSONL(t, strings.NewReader(tt.input), c)
			if err != nil {
				t.Fatal(err)
			}
			if got := FormatSchema(schema); got != tt.schema {
				t.Fatalf("schema = %q, want %q", got, tt.schema)
			}
			if tt.rows == "" {
				if rec != nil && rec.NumCols() > 0 {
					t.Fatalf("got rows %v", rec)
				}
				if rec != nil {
					rec.Release()
				}
				return
			}
			defer rec.Release()
			assertRecord(t, mem, rec, tt.rows)
		})
	}
}

func TestJSONLInferRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// The float on line 3 is past the 2 inferred lines: with 3 it widens.
	input := "{\"x\":1}\n\n{\"x\":2}\n{\"x\":2.5}\n"
	_, _, _, err := readAllJSONL(t, strings.NewReader(input), newConfig(WithAllocator(mem), WithInferRows(2)))
	want := `in.jsonl: line 4: column "x": expected integer for int64 column, got number 2.5 (the schema was inferred from the first 2 lines; give --schema or --infer-rows)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	rec, schema, _, err := readAllJSONL(t, strings.NewReader(input), newConfig(WithAllocator(mem), WithInferRows(3)))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got := FormatSchema(schema); got != "x:float64" {
		t.Fatalf("schema = %s", got)
	}
	assertRecord(t, mem, rec, `[{"x":1},{"x":2},{"x":2.5}]`)
}

func TestJSONLInferConflicts(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  string
	}{
		{"string then number", "{\"x\":\"a\"}\n\n{\"x\":1}\n",
			`in.jsonl: line 3: column "x": key "x" is a string on line 1 but a number on line 3; give --schema to choose its type`},
		{"number then bool", "{\"x\":1.5}\n{\"x\":true}\n",
			`in.jsonl: line 2: column "x": key "x" is a number on line 1 but a boolean on line 2; give --schema to choose its type`},
		{"null does not set the line", "{\"x\":null}\n{\"x\":[1]}\n{\"x\":{}}\n",
			`in.jsonl: line 3: column "x": key "x" is an array on line 2 but an object on line 3; give --schema to choose its type`},
		{"nested key", "{\"o\":{\"a\":1}}\n{\"o\":{\"a\":\"x\"}}\n",
			`in.jsonl: line 2: column "o": key "o.a" is a number on line 1 but a string on line 2; give --schema to choose its type`},
		{"list elements", `{"l":[1,"a"]}`,
			`in.jsonl: line 1: column "l": elements of key "l" are numbers on line 1 but strings on line 1; give --schema to choose its type`},
		{"key in list of objects", "{\"l\":[{\"a\":1}]}\n{\"l\":[{\"a\":false}]}\n",
			`in.jsonl: line 2: column "l": key "l[].a" is a number on line 1 but a boolean on line 2; give --schema to choose its type`},
		{"duplicate key", `{"a":1,"a":2}`,
			`in.jsonl: line 1: column "a": duplicate key "a" at byte 7`},
		{"malformed", "{\"a\":1}\n{\"a\" 1}\n",
			`in.jsonl: line 2: column "a": invalid JSON at byte 5: expected ':' after key "a", got '1'`},
		{"not an object", "{\"a\":1}\n[1]\n",
			`in.jsonl: line 2: expected a JSON object, got an array`},
		{"NaN", `{"a":NaN}`,
			`in.jsonl: line 1: column "a": invalid JSON at byte 5: NaN and Infinity are not valid JSON; write null or a number`},
		{"too deep", `{"a":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + "}",
			`in.jsonl: line 1: column "a": invalid JSON at byte 1005: arrays and objects nested deeper than 1000`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			_, err := newJSONLReader("in.jsonl", strings.NewReader(tt.input), newConfig(WithAllocator(mem)))
			if err == nil {
				t.Fatal("no error")
			}
			if !IsDataError(err) {
				t.Errorf("%T is not a DataError", err)
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestJSONLGivenSchema(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		input  string
		rows   string
	}{
		{"all primitive types",
			"s:string,ls:large_string,bin:binary,b:bool,i8:int8,i16:int16,i32:int32,i64:int64,u8:uint8,u16:uint16,u32:uint32,u64:uint64,f32:float32,f64:float64",
			`{"s":"x","ls":"y","bin":"aGk=","b":false,"i8":-128,"i16":32767,"i32":-2147483648,"i64":-9223372036854775808,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,"f32":0.5,"f64":-1e-300}`,
			`[{"s":"x","ls":"y","bin":"aGk=","b":false,"i8":-128,"i16":32767,"i32":-2147483648,"i64":-9223372036854775808,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,"f32":0.5,"f64":-1e-300}]`},
		{"missing keys and nulls", "a:int64,b:string,c:list<int8>,d:struct<e:bool>",
			"{}\n{\"a\":null,\"b\":null,\"c\":null,\"d\":null}\n{\"d\":{}}\n",
			`[{},{},{"d":{}}]`},
		{"keys in any order", "a:int64,b:string",
			"{\"b\":\"x\",\"a\":1}\n{\"a\":2,\"b\":\"y\"}\n",
			`[{"a":1,"b":"x"},{"a":2,"b":"y"}]`},
		{"lists", "l:list<int32>,ll:large_list<string>,f:fixed_size_list<float32>[2],n:list<list<int8>>",
			`{"l":[1,null,3],"ll":["a"],"f":[1.5,null],"n":[[1],[],null]}` + "\n" + `{"l":[],"f":null}`,
			`[{"l":[1,null,3],"ll":["a"],"f":[1.5,null],"n":[[1],[],null]},{"l":[],"f":null}]`},
		{"struct", "m:struct<a:int8,b:list<struct<c:string>>>",
			`{"m":{"b":[{"c":"x"},null,{}],"a":5}}`,
			`[{"m":{"a":5,"b":[{"c":"x"},null,{"c":null}]}}]`},
		{"whitespace everywhere", "a:list<int64>,b:string",
			" \t{ \"a\" : [ 1 , 2 ] , \"b\" : \"x\" } \t",
			`[{"a":[1,2],"b":"x"}]`},
		{"numbers", "a:float64,b:int64,c:float32",
			`{"a":-0.0,"b":-0,"c":1E-2}` + "\n" + `{"a":1.5e+3,"b":0,"c":3.4028234663852886e38}`,
			`[{"a":-0.0,"b":0,"c":0.01},{"a":1500,"b":0,"c":3.4028234663852886e38}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			schema := mustSchema(t, tt.schema)
			rec, got, _, err := readAllJSONL(t, strings.NewReader(tt.input), newConfig(WithAllocator(mem), WithSchema(schema)))
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			if !got.Equal(schema) {
				t.Fatalf("schema %s, want %s", got, schema)
			}
			assertRecord(t, mem, rec, tt.rows)
		})
	}
}

func TestJSONLLines(t *testing.T) {
	tests := []struct {
		name  string
		input string
	}{
		{"plain", "{\"a\":1}\n{\"a\":2}\n"},
		{"blank lines", "\n{\"a\":1}\n\n   \n\t\n{\"a\":2}\n\n"},
		{"BOM", "\xef\xbb\xbf{\"a\":1}\n{\"a\":2}\n"},
		{"CRLF", "{\"a\":1}\r\n\r\n{\"a\":2}\r\n"},
		{"no final newline", "{\"a\":1}\n{\"a\":2}"},
		{"CRLF without final newline", "{\"a\":1}\r\n{\"a\":2}\r"},
		{"BOM and CRLF", "\xef\xbb\xbf\r\n{\"a\":1}\r\n{\"a\":2}"},
	}
	for _, tt := range tests {
		for _, given := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/schema=%v", tt.name, given), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				opts := []Option{WithAllocator(mem)}
				if given {
					opts = append(opts, WithSchema(mustSchema(t, "a:int64")))
				}
				rec, schema, _, err := readAllJSONL(t, strings.NewReader(tt.input), newConfig(opts...))
				if err != nil {
					t.Fatal(err)
				}
				defer rec.Release()
				if got := FormatSchema(schema); got != "a:int64" {
					t.Fatalf("schema %q", got)
				}
				assertRecord(t, mem, rec, `[{"a":1},{"a":2}]`)
			})
		}
	}
}

// TestJSONLLineNumbers checks that error line numbers count blank lines,
// CRLF lines and a BOM-prefixed first line, in the inferred region and
// after it.
func TestJSONLLineNumbers(t *testing.T) {
	input := "\xef\xbb\xbf{\"a\":1}\r\n\r\n  \n{\"a\":2}\n{\"a\":x}\n"
	for _, inferRows := range []int{1, 1000} {
		t.Run(fmt.Sprint(inferRows), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			_, _, _, err := readAllJSONL(t, strings.NewReader(input), newConfig(WithAllocator(mem), WithInferRows(inferRows)))
			want := `in.jsonl: line 5: column "a": invalid JSON at byte 5: expected a value, got 'x'`
			if err == nil || err.Error() != want {
				t.Fatalf("err = %v\nwant %s", err, want)
			}
			var de *DataError
			if !errors.As(err, &de) || de.Line != 5 || de.Column != "a" || de.Source != "in.jsonl" {
				t.Fatalf("DataError = %+v", de)
			}
		})
	}
}

func TestJSONLLongLine(t *testing.T) {
	longtest.Skip(t, "lines of hundreds of MB")
	const size = 50 << 20
	text := bytes.Repeat([]byte("abcdefghé "), size/11)
	for _, tt := range []struct {
		name    string
		given   bool
		newline bool
	}{
		{"inferred", false, true},
		{"given schema, no final newline", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var in bytes.Buffer
			in.WriteString("{\"id\":1,\"text\":\"short\"}\n{\"id\":2,\"text\":\"")
			in.Write(text)
			in.WriteString("\"}")
			if tt.newline {
				in.WriteString("\n{\"id\":3,\"text\":\"after\"}\n")
			}
			opts := []Option{WithAllocator(mem)}
			if tt.given {
				opts = append(opts, WithSchema(mustSchema(t, "id:int64,text:string")))
			}
			rec, _, _, err := readAllJSONL(t, &in, newConfig(opts...))
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			col := rec.Column(1).(*array.String)
			if got := col.Value(1); got != string(text) {
				t.Fatalf("long value: %d bytes, want %d", len(got), len(text))
			}
			if col.Value(0) != "short" {
				t.Fatalf("row 0 = %q", col.Value(0))
			}
			if tt.newline && (rec.NumRows() != 3 || col.Value(2) != "after") {
				t.Fatalf("rows = %d, last = %q", rec.NumRows(), col.Value(int(rec.NumRows())-1))
			}
		})
	}
}

func TestJSONLStrings(t *testing.T) {
	// Each case is the raw JSON string token; the expected value is what
	// encoding/json decodes it to.
	tests := []struct {
		name string
		tok  string
	}{
		{"ascii", `"hello world"`},
		{"empty", `""`},
		{"simple escapes", `"a\"b\\c\/d\be\ff\ng\rh\ti"`},
		{"u escape", `"caf\u00e9"`},
		{"raw utf8", `"café 数 😀"`},
		{"surrogate pair", `"\ud83d\ude00!"`},
		{"upper hex", `"\uD83D\uDE00\u00C9"`},
		{"lone high surrogate", `"a\ud83db"`},
		{"lone low surrogate", `"a\ude00b"`},
		{"high surrogate then non-surrogate", `"\ud83d\u0041"`},
		{"two high surrogates", `"\ud83d\ud83d\ude00"`},
		{"invalid utf8", "\"a\xffb\xc3(c\""},
		{"invalid utf8 with escape", "\"\\n\xff\""},
		{"truncated utf8 at end", "\"ab\xe2\x82\""},
		{"overlong encoding", "\"\xc0\xaf\""},
		{"encoded surrogate", "\"\xed\xa0\x80\""},
		{"nul escape", `"\u0000x"`},
		{"line separators", "\"\u2028\u2029\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var want string
			if err := json.Unmarshal([]byte(tt.tok), &want); err != nil {
				t.Fatalf("encoding/json: %v", err)
			}
			input := `{"s":` + tt.tok + `,"k":[` + tt.tok + `]}`
			for _, opts := range [][]Option{
				{WithAllocator(mem)},
				{WithAllocator(mem), WithSchema(mustSchema(t, "s:string,k:list<large_string>"))},
			} {
				rec, _, _, err := readAllJSONL(t, strings.NewReader(input), newConfig(opts...))
				if err != nil {
					t.Fatal(err)
				}
				got := rec.Column(0).(*array.String).Value(0)
				list := rec.Column(1).(*array.List)
				var gotElem string
				switch v := list.ListValues().(type) {
				case *array.String:
					gotElem = v.Value(0)
				case *array.LargeString:
					gotElem = v.Value(0)
				}
				rec.Release()
				if got != want || gotElem != want {
					t.Fatalf("decoded %q and %q, want %q", got, gotElem, want)
				}
				if !utf8.ValidString(got) {
					t.Fatalf("decoded %q is not valid UTF-8", got)
				}
			}
		})
	}
}

func TestJSONLKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// Escaped keys match schema names after decoding.
	input := `{"caf\u00e9":1,"a\"b":"x","":true}`
	rec, schema, _, err := readAllJSONL(t, strings.NewReader(input), newConfig(WithAllocator(mem)))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got, want := FormatSchema(schema), `café:int64,"a\"b":string,"":bool`; got != want {
		t.Fatalf("schema %s, want %s", got, want)
	}
	rec2, _, _, err := readAllJSONL(t, strings.NewReader(`{"café":2,"a\"b":"y","":false}`), newConfig(WithAllocator(mem), WithSchema(schema)))
	if err != nil {
		t.Fatal(err)
	}
	defer rec2.Release()
	assertRecord(t, mem, rec2, `[{"café":2,"a\"b":"y","":false}]`)
}

func TestJSONLErrors(t *testing.T) {
	tests := []struct {
		name   string
		schema string // "" to infer
		input  string
		want   string
		line   int64
		column string
	}{
		// Malformed JSON.
		{"trailing comma", "a:int64", "{\"a\":1}\n{\"a\":1,}", `in.jsonl: line 2: invalid JSON at byte 7: expected a string key, got '}'`, 2, ""},
		{"missing value", "a:int64", `{"a":}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: expected a value, got '}'`, 1, "a"},
		{"missing value in inferred line", "", `{"a":}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: expected a value, got '}'`, 1, "a"},
		{"unclosed object", "a:int64", "{\"a\":1}\n{\"a\":1", `in.jsonl: line 2: column "a": invalid JSON at byte 6: expected ',' or '}' after the value of key "a", got end of line`, 2, "a"},
		{"unclosed string", "a:string", `{"a":"x}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: string is not closed before the end of the line`, 1, "a"},
		{"unquoted key", "a:int64", `{a:1}`, `in.jsonl: line 1: invalid JSON at byte 1: expected a string key, got 'a'`, 1, ""},
		{"control character", "a:string", "{\"a\":\"x\ty\"}", `in.jsonl: line 1: column "a": invalid JSON at byte 7: control character 0x09 in string (must be escaped)`, 1, "a"},
		{"bad escape", "a:string", `{"a":"\x"}`, `in.jsonl: line 1: column "a": invalid JSON at byte 6: invalid escape \x in string`, 1, "a"},
		{"bad u escape", "a:string", `{"a":"\u12"}`, `in.jsonl: line 1: column "a": invalid JSON at byte 6: invalid \u escape (want 4 hex digits)`, 1, "a"},
		{"leading zero", "a:int64", `{"a":01}`, `in.jsonl: line 1: column "a": invalid JSON at byte 6: expected ',' or '}' after the value of key "a", got '1'`, 1, "a"},
		{"no fraction digits", "a:float64", `{"a":1.}`, `in.jsonl: line 1: column "a": invalid JSON at byte 7: expected a digit after '.', got '}'`, 1, "a"},
		{"no exponent digits", "a:float64", `{"a":1e+}`, `in.jsonl: line 1: column "a": invalid JSON at byte 8: expected a digit in the exponent, got '}'`, 1, "a"},
		{"lone minus", "a:float64", `{"a":-}`, `in.jsonl: line 1: column "a": invalid JSON at byte 6: expected a digit after '-', got '}'`, 1, "a"},
		{"NaN", "a:float64", `{"a":NaN}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: NaN and Infinity are not valid JSON; write null or a number`, 1, "a"},
		{"Infinity", "a:float64", `{"a":Infinity}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: NaN and Infinity are not valid JSON; write null or a number`, 1, "a"},
		{"-Infinity", "a:float64", `{"a":-Infinity}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: NaN and Infinity are not valid JSON; write null or a number`, 1, "a"},
		{"bad literal", "a:bool", `{"a":tru}`, `in.jsonl: line 1: column "a": invalid JSON at byte 5: expected a value, got 't'`, 1, "a"},
		{"bad value in array", "a:list<int64>", `{"a":[1,]}`, `in.jsonl: line 1: column "a": invalid JSON at byte 8: expected a value, got ']'`, 1, "a"},
		{"unclosed array", "a:list<int64>", `{"a":[1 2]}`, `in.jsonl: line 1: column "a": invalid JSON at byte 8: expected ',' or ']' in array, got '2'`, 1, "a"},
		{"text after object", "a:int64", `{"a":1} x`, `in.jsonl: line 1: invalid JSON at byte 8: unexpected 'x' after the object (one object per line)`, 1, ""},
		{"two objects on a line", "", `{"a":1}{"a":2}`, `in.jsonl: line 1: invalid JSON at byte 7: unexpected '{' after the object (one object per line)`, 1, ""},
		{"garbage line", "a:int64", "{\"a\":1}\nhello", `in.jsonl: line 2: invalid JSON at byte 0: expected '{' (each line must hold one JSON object), got 'h'`, 2, ""},
		{"bad value in wrong type", "a:string", `{"a":[1,}`, `in.jsonl: line 1: column "a": invalid JSON at byte 8: expected a value, got '}'`, 1, "a"},

		// Lines that are not objects.
		{"array line", "a:int64", `[1,2]`, `in.jsonl: line 1: expected a JSON object, got an array`, 1, ""},
		{"string line", "", `"x"`, `in.jsonl: line 1: expected a JSON object, got string "x"`, 1, ""},
		{"number line", "a:int64", "{\"a\":1}\n42", `in.jsonl: line 2: expected a JSON object, got number 42`, 2, ""},
		{"null line", "a:int64", `null`, `in.jsonl: line 1: expected a JSON object, got null`, 1, ""},

		// Values of the wrong type.
		{"string for int", "a:int64", `{"a":"abc"}`, `in.jsonl: line 1: column "a": expected number for int64 column, got string "abc"`, 1, "a"},
		{"float for int", "a:int32", `{"a":1.5}`, `in.jsonl: line 1: column "a": expected integer for int32 column, got number 1.5`, 1, "a"},
		{"exponent for int", "a:int64", `{"a":1e3}`, `in.jsonl: line 1: column "a": expected integer for int64 column, got number 1e3`, 1, "a"},
		{"number for string", "a:string", `{"a":12}`, `in.jsonl: line 1: column "a": expected string for string column, got number 12`, 1, "a"},
		{"object for string", "a:string", `{"a":{"b":1}}`, `in.jsonl: line 1: column "a": expected string for string column, got an object`, 1, "a"},
		{"number for bool", "a:bool", `{"a":1}`, `in.jsonl: line 1: column "a": expected true or false for bool column, got number 1`, 1, "a"},
		{"string for list", "a:list<int64>", `{"a":"x"}`, `in.jsonl: line 1: column "a": expected array for list<int64> column, got string "x"`, 1, "a"},
		{"bad list element", "a:list<int64>", `{"a":[1,"x"]}`, `in.jsonl: line 1: column "a": expected number for int64 at "a[]", got string "x"`, 1, "a"},
		{"array for struct", "a:struct<b:int8>", `{"a":[]}`, `in.jsonl: line 1: column "a": expected object for struct<b:int8> column, got an array`, 1, "a"},
		{"bad struct member", "a:struct<b:int8>", `{"a":{"b":true}}`, `in.jsonl: line 1: column "a": expected number for int8 at "a.b", got boolean true`, 1, "a"},
		{"fixed size list length", "v:fixed_size_list<float32>[3]", `{"v":[1,2]}`, `in.jsonl: line 1: column "v": expected 3 values for fixed_size_list<float32>[3] column, got an array of 2 at byte 5`, 1, "v"},
		{"bad base64", "b:binary", `{"b":"!!"}`, `in.jsonl: line 1: column "b": expected base64 for binary column, got string "!!"`, 1, "b"},
		{"long string is cut", "a:int64", `{"a":"` + strings.Repeat("x", 100) + `"}`, `in.jsonl: line 1: column "a": expected number for int64 column, got string "` + strings.Repeat("x", 40) + `"…`, 1, "a"},
		{"inferred type", "", "{\"a\":1}\n{\"a\":\"x\"}", `in.jsonl: line 2: column "a": key "a" is a number on line 1 but a string on line 2; give --schema to choose its type`, 2, "a"},

		// Out of range.
		{"int64 overflow", "a:int64", `{"a":9223372036854775808}`, `in.jsonl: line 1: column "a": number 9223372036854775808 overflows int64 column`, 1, "a"},
		{"int64 underflow", "a:int64", `{"a":-9223372036854775809}`, `in.jsonl: line 1: column "a": number -9223372036854775809 overflows int64 column`, 1, "a"},
		{"huge int", "a:int64", `{"a":123456789012345678901234567890}`, `in.jsonl: line 1: column "a": number 123456789012345678901234567890 overflows int64 column`, 1, "a"},
		{"int32 overflow", "a:int32", `{"a":2147483648}`, `in.jsonl: line 1: column "a": number 2147483648 overflows int32 column`, 1, "a"},
		{"int8 underflow", "a:int8", `{"a":-129}`, `in.jsonl: line 1: column "a": number -129 overflows int8 column`, 1, "a"},
		{"int16 in list", "a:list<int16>", `{"a":[32768]}`, `in.jsonl: line 1: column "a": number 32768 overflows int16 at "a[]"`, 1, "a"},
		{"negative uint", "a:uint8", `{"a":-1}`, `in.jsonl: line 1: column "a": number -1 is out of range for uint8 column`, 1, "a"},
		{"uint8 overflow", "a:uint8", `{"a":256}`, `in.jsonl: line 1: column "a": number 256 is out of range for uint8 column`, 1, "a"},
		{"uint64 overflow", "a:uint64", `{"a":18446744073709551616}`, `in.jsonl: line 1: column "a": number 18446744073709551616 is out of range for uint64 column`, 1, "a"},
		{"float32 overflow", "a:float32", `{"a":1e39}`, `in.jsonl: line 1: column "a": number 1e39 is out of range for float32 column`, 1, "a"},
		{"float64 overflow", "a:float64", `{"a":-1e400}`, `in.jsonl: line 1: column "a": number -1e400 is out of range for float64 column`, 1, "a"},

		// Keys.
		{"unknown key, given schema", "a:int64", `{"a":1,"b":2}`, `in.jsonl: line 1: column "b": key "b" is not in the given schema`, 1, "b"},
		{"unknown nested key", "m:struct<a:int8>", `{"m":{"a":1,"z":2}}`, `in.jsonl: line 1: column "m": key "m.z" is not in the given schema`, 1, "m"},
		{"duplicate key", "a:int64,b:int64", `{"a":1,"b":2,"a":3}`, `in.jsonl: line 1: column "a": duplicate key "a" at byte 13`, 1, "a"},
		{"duplicate nested key", "m:struct<a:int8>", `{"m":{"a":1,"a":1}}`, `in.jsonl: line 1: column "m": duplicate key "m.a" at byte 12`, 1, "m"},

		// Nullability.
		{"missing non-nullable", "!a:int64", `{}`, `in.jsonl: line 1: column "a": missing key for non-nullable int64 column`, 1, "a"},
		{"null non-nullable", "!a:int64", `{"a":null}`, `in.jsonl: line 1: column "a": null for non-nullable int64 column`, 1, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			opts := []Option{WithAllocator(mem)}
			if tt.schema != "" {
				spec, required := strings.CutPrefix(tt.schema, "!")
				s := mustSchema(t, spec)
				if required {
					f := s.Fields()
					f[0].Nullable = false
					s = arrow.NewSchema(f, nil)
				}
				opts = append(opts, WithSchema(s))
			}
			_, _, _, err := readAllJSONL(t, strings.NewReader(tt.input), newConfig(opts...))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Fatalf("error:\n got %s\nwant %s", err, tt.want)
			}
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("%T is not a DataError", err)
			}
			if de.Line != tt.line || de.Column != tt.column || de.Source != "in.jsonl" {
				t.Fatalf("DataError{Source:%q Line:%d Column:%q}, want line %d column %q", de.Source, de.Line, de.Column, tt.line, tt.column)
			}
		})
	}
}

// TestJSONLUnknownKeyAfterInference checks the message for a key first
// seen after the inferred lines.
func TestJSONLUnknownKeyAfterInference(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	input := strings.Repeat("{\"a\":1}\n", DefaultInferRows) + "{\"a\":1,\"x\":2}\n"
	_, _, _, err := readAllJSONL(t, strings.NewReader(input), newConfig(WithAllocator(mem)))
	want := `in.jsonl: line 1001: column "x": key "x" is not in the schema (inferred from the first 1000 lines); give --schema or --infer-rows`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

// TestJSONLStickyError checks that Read keeps returning the first error
// and that the rows of the failed batch are dropped.
func TestJSONLStickyError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	input := "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n{\"a\":\"x\"}\n{\"a\":5}\n"
	r, err := newJSONLReader("in.jsonl", strings.NewReader(input), newConfig(WithAllocator(mem), WithSchema(mustSchema(t, "a:int64")), WithBatchRows(2)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.Read()
	if err != nil || b.NumRows() != 2 {
		t.Fatalf("first batch: %v, %v", b, err)
	}
	_, err1 := r.Read()
	_, err2 := r.Read()
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors %v then %v", err1, err2)
	}
	if want := `in.jsonl: line 4: column "a": expected number for int64 column, got string "x"`; err1.Error() != want {
		t.Fatalf("error %s, want %s", err1, want)
	}
}

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestJSONLReadErrors(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		want  string
		isErr bool // the error is a DataError
	}{
		{"truncated", io.ErrUnexpectedEOF, "in.jsonl: line 2: input ends early: unexpected EOF", true},
		{"I/O error", errors.New("disk on fire"), "robustdata/pipeline: reading in.jsonl: disk on fire", false},
	}
	for _, tt := range tests {
		for _, inferRows := range []int{1, 1000} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, inferRows), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				in := &failingReader{data: []byte("{\"a\":1}\n{\"a\":"), err: tt.err}
				_, _, _, err := readAllJSONL(t, in, newConfig(WithAllocator(mem), WithInferRows(inferRows)))
				if err == nil || err.Error() != tt.want {
					t.Fatalf("err = %v\nwant %s", err, tt.want)
				}
				if IsDataError(err) != tt.isErr {
					t.Fatalf("IsDataError = %v", !tt.isErr)
				}
				if !errors.Is(err, tt.err) {
					t.Fatalf("error does not wrap %v", tt.err)
				}
			})
		}
	}
}

func TestJSONLBatches(t *testing.T) {
	line := "{\"a\":\"x\"}\n" // 10 bytes
	tests := []struct {
		name  string
		input string
		opts  []Option
		sizes []int
	}{
		{"one batch", strings.Repeat(line, 10), nil, []int{10}},
		{"by rows", strings.Repeat(line, 10), []Option{WithBatchRows(3)}, []int{3, 3, 3, 1}},
		{"rows exact", strings.Repeat(line, 9), []Option{WithBatchRows(3)}, []int{3, 3, 3}},
		{"by bytes", strings.Repeat(line, 10), []Option{WithBatchBytes(20)}, []int{2, 2, 2, 2, 2}},
		{"bytes not a multiple", strings.Repeat(line, 10), []Option{WithBatchBytes(25)}, []int{3, 3, 3, 1}},
		{"rows before bytes", strings.Repeat(line, 10), []Option{WithBatchRows(2), WithBatchBytes(1000)}, []int{2, 2, 2, 2, 2}},
		{"bytes before rows", strings.Repeat(line, 10), []Option{WithBatchRows(4), WithBatchBytes(30)}, []int{3, 3, 3, 1}},
		{"a long line ends the batch", line + "{\"a\":\"" + strings.Repeat("y", 100) + "\"}\n" + line + line + line,
			[]Option{WithBatchBytes(50)}, []int{2, 3}},
		{"blank lines count as bytes", line + "\n\n\n\n\n\n\n\n\n\n" + line + line, []Option{WithBatchBytes(20)}, []int{2, 1}},
		{"blank lines count as bytes after inference", line + "\n\n\n\n\n\n\n\n\n\n" + line + line, []Option{WithBatchBytes(20), WithInferRows(1)}, []int{2, 1}},
		{"BOM and trailing blank lines", "\xef\xbb\xbf" + line + line + "\n\n", []Option{WithBatchRows(1)}, []int{1, 1}},
		{"batches span the inferred lines", strings.Repeat(line, 10), []Option{WithInferRows(4), WithBatchRows(3)}, []int{3, 3, 3, 1}},
		{"bytes span the inferred lines", strings.Repeat(line, 10), []Option{WithInferRows(5), WithBatchBytes(30)}, []int{3, 3, 3, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var progress int64
			calls := 0
			opts := append([]Option{WithAllocator(mem), WithProgress(func(n int64) { progress += n; calls++ })}, tt.opts...)
			rec, _, sizes, err := readAllJSONL(t, strings.NewReader(tt.input), newConfig(opts...))
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			if fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) {
				t.Fatalf("batch sizes %v, want %v", sizes, tt.sizes)
			}
			if progress != int64(len(tt.input)) {
				t.Fatalf("progress reported %d bytes, want %d", progress, len(tt.input))
			}
			if calls < len(tt.sizes) {
				t.Fatalf("progress called %d times for %d batches", calls, len(tt.sizes))
			}
		})
	}
}

// TestJSONLBatchOrder checks values come out in input order across
// batches and the inferred lines.
func TestJSONLBatchOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var in strings.Builder
	var want []string
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&in, "{\"i\":%d,\"s\":\"v%d\",\"l\":[%d]}\n", i, i, i)
		want = append(want, fmt.Sprintf(`{"i":%d,"s":"v%d","l":[%d]}`, i, i, i))
	}
	rec, _, sizes, err := readAllJSONL(t, strings.NewReader(in.String()), newConfig(WithAllocator(mem), WithInferRows(10), WithBatchRows(7)))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if len(sizes) != 15 {
		t.Fatalf("sizes %v", sizes)
	}
	assertRecord(t, mem, rec, "["+strings.Join(want, ",")+"]")
}

func TestJSONLReaderLifecycle(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := newJSONLReader("in.jsonl", strings.NewReader("{\"a\":1}\n{\"a\":2}\n"), newConfig(WithAllocator(mem), WithBatchRows(1)))
	if err != nil {
		t.Fatal(err)
	}
	b1, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	b1.Retain() // kept past the next Read
	b2, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if b1.Column(0).(*array.Int64).Value(0) != 1 || b2.Column(0).(*array.Int64).Value(0) != 2 {
		t.Fatal("wrong values")
	}
	b1.Release()
	for i := 0; i < 3; i++ {
		if b, err := r.Read(); b != nil || err != io.EOF {
			t.Fatalf("Read after the end = %v, %v; want nil, EOF", b, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := r.Read(); err == nil || err == io.EOF {
		t.Fatalf("Read after Close = %v", err)
	}
}

// TestJSONLCloseMidStream checks that Close releases a batch and builders
// holding partial rows.
func TestJSONLCloseMidStream(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r, err := newJSONLReader("in.jsonl", strings.NewReader("{\"a\":[1],\"b\":{\"c\":\"x\"}}\n{\"a\":[2],\"b\":{\"c\":3}}\n"), newConfig(WithAllocator(mem), WithBatchRows(1), WithInferRows(1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(); err == nil {
		t.Fatal("want an error")
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeJSONL writes rec through a jsonlWriter and returns the text.
func writeJSONL(t testing.TB, rec arrow.RecordBatch) (string, error) {
	t.Helper()
	var out bytes.Buffer
	w := newJSONLWriter(&out, rec.Schema(), newConfig())
	if err := w.Write(rec); err != nil {
		return out.String(), err
	}
	if err := w.flush(); err != nil {
		t.Fatal(err)
	}
	return out.String(), nil
}

// roundTrip writes rec and reads it back with its schema, checking the
// arrays are equal; it returns the text.
func roundTrip(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch) string {
	t.Helper()
	text, err := writeJSONL(t, rec)
	if err != nil {
		t.Fatal(err)
	}
	back, _, _, err := readAllJSONL(t, strings.NewReader(text), newConfig(WithAllocator(mem), WithSchema(rec.Schema())))
	if err != nil {
		t.Fatalf("reading back: %v\n%s", err, text)
	}
	defer back.Release()
	if back.NumRows() != rec.NumRows() {
		t.Fatalf("read %d rows, wrote %d", back.NumRows(), rec.NumRows())
	}
	for i := 0; i < int(rec.NumCols()); i++ {
		if !array.Equal(back.Column(i), rec.Column(i)) {
			t.Fatalf("column %q differs:\n got %v\nwant %v\ntext:\n%s", rec.ColumnName(i), back.Column(i), rec.Column(i), text)
		}
	}
	return text
}

func TestJSONLRoundTrip(t *testing.T) {
	allTypes := "s:string,ls:large_string,bin:binary,lbin:large_binary,b:bool," +
		"i8:int8,i16:int16,i32:int32,i64:int64,u8:uint8,u16:uint16,u32:uint32,u64:uint64,f32:float32,f64:float64," +
		"l:list<int64>,ll:large_list<string>,fsl:fixed_size_list<float32>[2],nl:list<list<string>>," +
		"st:struct<a:string,b:list<int32>,c:struct<d:bool>>,ls2:list<struct<x:int16,y:binary>>"
	rows := `[
		{"s":"plain","ls":"large","bin":"AAEC/w==","lbin":"","b":true,
		 "i8":-128,"i16":-32768,"i32":-2147483648,"i64":-9223372036854775808,
		 "u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615,
		 "f32":0.1,"f64":0.1,
		 "l":[1,null,-3],"ll":["a","b"],"fsl":[1.5,null],"nl":[["x"],[],null],
		 "st":{"a":"q\"uote","b":[1,2],"c":{"d":false}},"ls2":[{"x":1,"y":"aGk="},null,{"x":null}]},
		{},
		{"s":"tab\tnewline\ncr\rnul\u0000bell\u0007 quote\" backslash\\ slash/ é 数 😀 \u2028\u2029 <>&","ls":"","b":false,
		 "i8":127,"i16":32767,"i32":2147483647,"i64":9223372036854775807,"u8":0,"u16":0,"u32":0,"u64":0,
		 "f32":-3.4028235e38,"f64":1.7976931348623157e308,
		 "l":[],"ll":[],"fsl":[null,null],"nl":[],"st":{},"ls2":[]},
		{"s":"","f32":3,"f64":-0.0,"st":{"c":null},"fsl":null}
	]`
	t.Run("all types", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec := recordFromJSON(t, mem, mustSchema(t, allTypes), rows)
		defer rec.Release()
		roundTrip(t, mem, rec)
	})
	t.Run("sliced", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec := recordFromJSON(t, mem, mustSchema(t, allTypes), rows)
		defer rec.Release()
		slice := rec.NewSlice(1, 4)
		defer slice.Release()
		roundTrip(t, mem, slice)
	})
	t.Run("nulls only", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec := recordFromJSON(t, mem, mustSchema(t, allTypes), `[{},{}]`)
		defer rec.Release()
		text := roundTrip(t, mem, rec)
		if !strings.HasPrefix(text, `{"s":null,"ls":null,`) {
			t.Fatalf("text %s", text)
		}
	})
	t.Run("float bits", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		f32s := []float32{0.1, 1.0 / 3, 3, -0.0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32,
			1e-10, 16777216, 16777218, 1e20, 0.2 + 0.1, 1.17549435e-38}
		f64s := []float64{0.1, 1.0 / 3, 3, math.Copysign(0, -1), math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1 + 0.2,
			1e21, 1e-7, 123456789, 9007199254740993, 2.2250738585072014e-308, -1.5e300, 4.9406564584124654e-324}
		n := max(len(f32s), len(f64s))
		b32 := array.NewFloat32Builder(mem)
		defer b32.Release()
		b64 := array.NewFloat64Builder(mem)
		defer b64.Release()
		for i := 0; i < n; i++ {
			if i < len(f32s) {
				b32.Append(f32s[i])
			} else {
				b32.AppendNull()
			}
			if i < len(f64s) {
				b64.Append(f64s[i])
			} else {
				b64.AppendNull()
			}
		}
		a32, a64 := b32.NewArray(), b64.NewArray()
		defer a32.Release()
		defer a64.Release()
		schema := mustSchema(t, "f32:float32,f64:float64")
		rec := array.NewRecordBatch(schema, []arrow.Array{a32, a64}, int64(n))
		defer rec.Release()
		text := roundTrip(t, mem, rec)
		if !strings.HasPrefix(text, `{"f32":0.1,"f64":0.1}`+"\n") {
			t.Fatalf("text %s", text)
		}
		// array.Equal compares floats with ==; check the bits too.
		back, _, _, err := readAllJSONL(t, strings.NewReader(text), newConfig(WithAllocator(mem), WithSchema(schema)))
		if err != nil {
			t.Fatal(err)
		}
		defer back.Release()
		g32, g64 := back.Column(0).(*array.Float32), back.Column(1).(*array.Float64)
		for i, v := range f32s {
			if math.Float32bits(g32.Value(i)) != math.Float32bits(v) {
				t.Errorf("float32 %g read back as %g", v, g32.Value(i))
			}
		}
		for i, v := range f64s {
			if math.Float64bits(g64.Value(i)) != math.Float64bits(v) {
				t.Errorf("float64 %g read back as %g", v, g64.Value(i))
			}
		}
		// Integral floats keep a fraction so inference reads them as floats.
		inferred, schema2, _, err := readAllJSONL(t, strings.NewReader(text), newConfig(WithAllocator(mem)))
		if err != nil {
			t.Fatal(err)
		}
		inferred.Release()
		if got := FormatSchema(schema2); got != "f32:float64,f64:float64" {
			t.Fatalf("inferred %s", got)
		}
	})
	// Other types go through arrow-go's JSON marshaling and unmarshaling.
	for _, tc := range []struct {
		dt   arrow.DataType
		rows string
	}{
		{&arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, `[{"x":"2024-02-29T12:34:56.789Z"},{}]`},
		{arrow.FixedWidthTypes.Date32, `[{"x":"2024-02-29"},{}]`},
		{arrow.FixedWidthTypes.Time64us, `[{"x":"12:34:56.789"},{}]`},
		{&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, `[{"x":"a"},{"x":"b"},{"x":"a"},{}]`},
		{arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), `[{"x":[{"key":"a","value":1}]},{}]`},
		{arrow.FixedWidthTypes.Float16, `[{"x":1.5},{}]`},
		{&arrow.Decimal128Type{Precision: 10, Scale: 2}, `[{"x":"12.34"},{}]`},
		{arrow.BinaryTypes.StringView, `[{"x":"a\"b"},{}]`},
	} {
		t.Run("generic "+tc.dt.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: tc.dt, Nullable: true}}, nil)
			rec := recordFromJSON(t, mem, schema, tc.rows)
			defer rec.Release()
			roundTrip(t, mem, rec)
		})
	}
}

func TestJSONLWriterOutput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := mustSchema(t, `s:string,"k\"ey":int64,l:list<float64>,m:struct<a:bool>,bin:binary,f:float32`)
	rec := recordFromJSON(t, mem, schema, `[{"s":"a<b>&\u2028","k\"ey":-1,"l":[1,2.5,null],"m":{"a":true},"bin":"aGk=","f":2},{}]`)
	defer rec.Release()
	got, err := writeJSONL(t, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"a<b>&\u2028","k\"ey":-1,"l":[1.0,2.5,null],"m":{"a":true},"bin":"aGk=","f":2.0}` + "\n" +
		`{"s":null,"k\"ey":null,"l":null,"m":null,"bin":null,"f":null}` + "\n"
	if got != want {
		t.Fatalf("output:\n got %s\nwant %s", got, want)
	}
	// An empty schema writes empty objects.
	empty := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 2)
	defer empty.Release()
	if got, err := writeJSONL(t, empty); err != nil || got != "{}\n{}\n" {
		t.Fatalf("empty schema: %q, %v", got, err)
	}
}

// TestJSONLWriterStrings compares string escaping with encoding/json
// (without HTML escaping).
func TestJSONLWriterStrings(t *testing.T) {
	strs := []string{
		"", "plain", "quote\" backslash\\ slash/", "\x00\x01\x1f\x7f", "\b\f\n\r\t",
		"é 数 😀", "\u2028 \u2029", "bad \xff utf8 \xc3( \xed\xa0\x80 \xe2\x82", "<html>&amp;",
		strings.Repeat("long ascii text ", 100),
	}
	for _, s := range strs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := string(appendJSONString(nil, s)) + "\n"
		if got != want.String() {
			t.Errorf("appendJSONString(%q):\n got %s want %s", s, got, want.String())
		}
	}
}

func TestJSONLWriterNonFinite(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		build  func(mem memory.Allocator) arrow.Array
		want   string
	}{
		{"NaN float64", "x:float64", func(mem memory.Allocator) arrow.Array {
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			b.AppendValues([]float64{1, 2, math.NaN()}, nil)
			return b.NewArray()
		}, `JSONL output: row 2: column "x": float64 value NaN cannot be written as JSON (JSON has no NaN or Infinity); replace it with null`},
		{"Inf float32", "x:float32", func(mem memory.Allocator) arrow.Array {
			b := array.NewFloat32Builder(mem)
			defer b.Release()
			b.AppendValues([]float32{float32(math.Inf(-1)), 1, 2}, nil)
			return b.NewArray()
		}, `JSONL output: row 0: column "x": float32 value -Inf cannot be written as JSON (JSON has no NaN or Infinity); replace it with null`},
		{"NaN in a list", "x:fixed_size_list<float32>[1]", func(mem memory.Allocator) arrow.Array {
			b := array.NewFixedSizeListBuilder(mem, 1, arrow.PrimitiveTypes.Float32)
			defer b.Release()
			vb := b.ValueBuilder().(*array.Float32Builder)
			for _, v := range []float32{1, 2, float32(math.NaN())} {
				b.Append(true)
				vb.Append(v)
			}
			return b.NewArray()
		}, `JSONL output: row 2: column "x": float32 value NaN cannot be written as JSON (JSON has no NaN or Infinity); replace it with null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			arr := tt.build(mem)
			defer arr.Release()
			rec := array.NewRecordBatch(mustSchema(t, tt.schema), []arrow.Array{arr}, int64(arr.Len()))
			defer rec.Release()
			var out bytes.Buffer
			w := newJSONLWriter(&out, rec.Schema(), newConfig())
			err := w.Write(rec)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if !IsDataError(err) {
				t.Fatalf("%T is not a DataError", err)
			}
			if err := w.flush(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "NaN") || strings.Contains(out.String(), "Inf") || strings.Contains(out.String(), "null") {
				t.Fatalf("wrote %q", out.String())
			}
		})
	}
}

func TestJSONLWriterSchemaMismatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, mustSchema(t, "a:int64"), `[{"a":1}]`)
	defer rec.Release()
	w := newJSONLWriter(io.Discard, mustSchema(t, "a:string"), newConfig())
	err := w.Write(rec)
	want := `robustdata/pipeline: JSONL writer: batch schema "a:int64" does not match the output schema "a:string"`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONLWriterIOError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := recordFromJSON(t, mem, mustSchema(t, "a:int64"), `[{"a":1}]`)
	defer rec.Release()
	w := newJSONLWriter(errWriter{}, rec.Schema(), newConfig())
	if err := w.Write(rec); err != nil {
		t.Fatal(err) // buffered
	}
	want := "robustdata/pipeline: writing JSONL: disk full"
	if err := w.flush(); err == nil || err.Error() != want {
		t.Fatalf("flush = %v", err)
	}
	if err := w.Write(rec); err == nil || err.Error() != want {
		t.Fatalf("Write after a failed flush = %v", err)
	}
}

// benchProse returns n JSONL lines with about 2 KB of prose each.
func benchProse(n int, escapes bool) []byte {
	words := strings.Fields(`the of and to in is was for on that with as by at from his her it an were are which
		this be or has had not but also first one their its new after who they have two been during time other
		city river café naïve garden kitchen recipe flour butter sugar oven minutes season history century`)
	var b bytes.Buffer
	seed := uint32(1)
	next := func() int {
		seed = seed*1664525 + 1013904223
		return int(seed >> 8)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `{"doc_id":"x:%d","text":"`, i)
		size := 0
		for size < 2000 {
			w := words[next()%len(words)]
			if size > 0 {
				b.WriteByte(' ')
				size++
			}
			b.WriteString(w)
			size += len(w)
			if next()%12 == 0 {
				b.WriteByte('.')
			}
			if escapes && next()%200 == 0 {
				b.WriteString(`\"quoted\"\n`)
			}
		}
		fmt.Fprintf(&b, `","label":"%s"}`+"\n", []string{"food", "travel", "history"}[i%3])
	}
	return b.Bytes()
}

func BenchmarkJSONLRead(b *testing.B) {
	for _, bc := range []struct {
		name    string
		escapes bool
		schema  bool
	}{
		{"prose/schema", false, true},
		{"prose/inferred", false, false},
		{"prose-escapes/schema", true, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := benchProse(8000, bc.escapes)
			opts := []Option{WithAllocator(memory.NewGoAllocator())}
			if bc.schema {
				opts = append(opts, WithSchema(mustSchema(b, "doc_id:string,text:string,label:string")))
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := newJSONLReader("bench", bytes.NewReader(data), newConfig(opts...))
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for {
					rec, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					rows += int(rec.NumRows())
				}
				r.Close()
				if rows != 8000 {
					b.Fatalf("%d rows", rows)
				}
			}
		})
	}
}

func BenchmarkJSONLWrite(b *testing.B) {
	data := benchProse(8000, false)
	mem := memory.NewGoAllocator()
	r, err := newJSONLReader("bench", bytes.NewReader(data), newConfig(WithAllocator(mem), WithBatchRows(8000)))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Read()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w := newJSONLWriter(io.Discard, rec.Schema(), newConfig())
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		if err := w.flush(); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzJSONLLine checks the hand-written scanner against encoding/json: a
// line it accepts is valid JSON, and the strings it decodes are the ones
// encoding/json decodes.
func FuzzJSONLLine(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `{"a":"x\u00e9\ud83d\ude00","b":[1,2.5,null],"c":{"d":true}}`, `{"a":"\ud800"}`,
		"{\"a\":\"\xff\"}", `{"a":-0.0e+1}`, `{"a":[[],[{}]]}`, `{"a":1,}`, `{"a":01}`, `[1]`, `{"a":NaN}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if bytes.ContainsAny(line, "\n") {
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		rec, _, _, err := readAllJSONL(t, bytes.NewReader(line), newConfig(WithAllocator(mem)))
		if err != nil {
			if !IsDataError(err) {
				t.Fatalf("%T is not a DataError: %v", err, err)
			}
			return
		}
		if rec == nil {
			if !isBlank(line) && !bytes.Equal(line, []byte(utf8BOM)) {
				t.Fatalf("no rows from %q", line)
			}
			return
		}
		defer rec.Release()
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("accepted %q, which encoding/json rejects: %v", bytes.TrimPrefix(line, []byte(utf8BOM)), err)
		}
		for i, field := range rec.Schema().Fields() {
			if s, ok := rec.Column(i).(*array.String); ok && s.IsValid(0) {
				if want, ok := m[field.Name].(string); !ok || want != s.Value(0) {
					t.Fatalf("key %q: got %q, encoding/json %q", field.Name, s.Value(0), m[field.Name])
				}
			}
		}
	})
}
