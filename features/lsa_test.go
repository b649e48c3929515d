package features

import (
	"context"
	"math"
	"testing"
)

// TestFitLSASingularPower checks that the projection's column j is the
// plain LSA column scaled by (s_j/s_0)^p: by default p = 1.5, and a
// negative SingularPower gives the unit columns of plain LSA.
func TestFitLSASingularPower(t *testing.T) {
	texts := fortuneTexts(t)[:3000]
	ctx := context.Background()
	plain, err := FitLSA(ctx, texts, LSAConfig{Dim: 16, Seed: 1, SingularPower: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		cfg  float64
		p    float64
	}{{"default", 0, DefaultSingularPower}, {"p=1", 1, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := FitLSA(ctx, texts, LSAConfig{Dim: 16, Seed: 1, SingularPower: tc.cfg})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Proj) != len(plain.Proj) || len(m.Singular) != 16 {
				t.Fatalf("sizes %d/%d, %d singular values", len(m.Proj), len(plain.Proj), len(m.Singular))
			}
			rows := len(m.Buckets)
			for j := range 16 {
				want := math.Pow(m.Singular[j]/m.Singular[0], tc.p)
				var norm, plainNorm float64
				for r := range rows {
					v, pv := float64(m.Proj[r*16+j]), float64(plain.Proj[r*16+j])
					norm += v * v
					plainNorm += pv * pv
					if math.Abs(v-want*pv) > 1e-6 {
						t.Fatalf("column %d row %d: %v, want %v × %v", j, r, v, want, pv)
					}
				}
				if math.Abs(math.Sqrt(plainNorm)-1) > 1e-4 || math.Abs(math.Sqrt(norm)-want) > 1e-4 {
					t.Errorf("column %d: norm %v (plain %v), want %v (1)", j, math.Sqrt(norm), math.Sqrt(plainNorm), want)
				}
				if j > 0 && m.Singular[j] > m.Singular[j-1] {
					t.Errorf("singular values not descending at %d", j)
				}
			}
		})
	}
}

// TestConfigSingularPowerRecorded checks that a non-default singular
// power reaches the fit and the recorded configuration, and that the
// default leaves the record as it was.
func TestConfigSingularPowerRecorded(t *testing.T) {
	if _, ok := (Config{}).Record()["singular_power"]; ok {
		t.Error("default config records singular_power")
	}
	if v := (Config{SingularPower: -1}).Record()["singular_power"]; v != -1.0 {
		t.Errorf("recorded singular_power %v, want -1", v)
	}
}

// TestAutoIDFPower checks the idf power chosen by document length:
// ShortIDFPower for short documents, 1 for long ones, falling in between.
func TestAutoIDFPower(t *testing.T) {
	for _, tc := range []struct {
		terms int
		want  float64
	}{{0, ShortIDFPower}, {17, ShortIDFPower}, {ShortDocTerms, ShortIDFPower}, {256, (ShortIDFPower + 1) / 2}, {LongDocTerms, 1}, {5000, 1}} {
		if got := AutoIDFPower(tc.terms); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("AutoIDFPower(%d) = %v, want %v", tc.terms, got, tc.want)
		}
	}
	prev := AutoIDFPower(0)
	for n := 1; n < 2*LongDocTerms; n++ {
		p := AutoIDFPower(n)
		if p > prev {
			t.Fatalf("AutoIDFPower rises at %d terms: %v after %v", n, p, prev)
		}
		prev = p
	}
}

// TestFitLSAIDFPower checks that FitLSA raises the idf to the power
// chosen by length (fortunes are short) or given, and records it.
func TestFitLSAIDFPower(t *testing.T) {
	texts := fortuneTexts(t)[:3000]
	ctx := context.Background()
	plain, err := FitLSA(ctx, texts, LSAConfig{Dim: 8, Seed: 1, IDFPower: 1})
	if err != nil {
		t.Fatal(err)
	}
	auto, err := FitLSA(ctx, texts, LSAConfig{Dim: 8, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if plain.IDFPower != 1 || auto.IDFPower != ShortIDFPower {
		t.Fatalf("idf powers %v (given 1) and %v (auto on fortunes), want 1 and %v", plain.IDFPower, auto.IDFPower, ShortIDFPower)
	}
	for r := range plain.IDF {
		want := float32(math.Pow(float64(plain.IDF[r]), ShortIDFPower))
		if math.Abs(float64(auto.IDF[r]-want)) > 1e-4*float64(want) {
			t.Fatalf("row %d: idf %v, want %v^%v = %v", r, auto.IDF[r], plain.IDF[r], ShortIDFPower, want)
		}
	}
}
