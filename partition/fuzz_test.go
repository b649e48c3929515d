package partition

import (
	"bytes"
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/robustdata/robustdata/pipeline/stream"
)

// FuzzParseModel feeds arbitrary bytes to ParseModel. Nothing may panic;
// errors are one-line DataErrors naming the file; an accepted model
// encodes and parses back to the same model, and assigns a sample of its
// widths without error or panic.
func FuzzParseModel(f *testing.F) {
	for _, cfg := range []Config{
		{K: 3, Seed: 1, PatternWeight: 0.2, SemanticWeight: 1},
		{K: 1, Seed: 2, PatternWeight: 0, SemanticWeight: 1},
		{KMin: 2, KMax: 4, Seed: 3, PatternWeight: 0.5, SemanticWeight: 0.8},
	} {
		m, err := Fit(context.Background(), planted(40, 3, 5).sample(), cfg)
		if err != nil {
			f.Fatal(err)
		}
		data, err := m.marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Small hand-written models: the edges of what ParseModel checks.
	for _, s := range []string{
		`{"format":"robustdata-partition","version":1,"k":1,"pattern_dim":0,"semantic_dim":1,"pattern_weight":1,"semantic_weight":1,"pattern_mean":[],"pattern_std":[],"semantic_mean":[0],"centroids":[[1]]}`,
		`{"format":"robustdata-partition","version":1,"k":2,"pattern_dim":1,"semantic_dim":1,"pattern_weight":1,"semantic_weight":1,"pattern_mean":[0],"pattern_std":[0],"semantic_mean":[0],"centroids":[[1,0],[0,1]]}`,
		`{"format":"robustdata-partition","version":1,"k":1,"pattern_dim":1,"semantic_dim":2,"pattern_weight":1e308,"semantic_weight":1e-308,"pattern_mean":[-1e308],"pattern_std":[5e-324],"semantic_mean":[1e308,-1e308],"centroids":[[1e308,-1e308,0]],"inertia":-1,"sample_rows":-5}`,
		`{"format":"robustdata-partition","version":1,"k":1,"pattern_dim":1,"semantic_dim":1,"pattern_weight":1,"semantic_weight":1,"pattern_mean":[0],"pattern_std":[1],"semantic_mean":[0],"centroids":[[0,0]],"k_choice":{"min":1,"max":1,"tried":[{"k":1,"silhouette":-1}],"why":"x"}}`,
		`{"format":"robustdata-partition","version":1,"k":0,"centroids":[]}`,
		`{"format":"robustdata-partition","version":2}`,
		`{"format":"robustdata-partition","version":1,"k":1,"centroids":[[1]],"extra":1}`,
		`null`, `{}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseModel("m.json", data)
		if err != nil {
			if m != nil {
				t.Errorf("ParseModel returned a model and an error: %v", err)
			}
			if !stream.IsDataError(err) || !strings.HasPrefix(err.Error(), "m.json: ") {
				t.Errorf("error %q (%T) is not a DataError naming m.json", err, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error is not one line: %q", msg)
			}
			return
		}
		// Accepted: it round-trips.
		enc, err := m.marshal()
		if err != nil {
			t.Fatalf("encoding an accepted model: %v", err)
		}
		back, err := ParseModel("m.json", enc)
		if err != nil {
			t.Fatalf("re-parsing an accepted model: %v\n%s", err, enc)
		}
		if !reflect.DeepEqual(m, back) {
			t.Fatalf("model does not round-trip:\n%+v\n%+v", m, back)
		}
		h1, err1 := m.Hash()
		h2, err2 := back.Hash()
		if err1 != nil || err2 != nil || h1 != h2 {
			t.Fatalf("hashes differ after a round trip: %s (%v) vs %s (%v)", h1, err1, h2, err2)
		}
		_ = m.Describe()
		// Accepted: it assigns a sample of its widths. (gonum cannot hold
		// a matrix of zero columns, so a model without pattern features
		// cannot be given a Sample.)
		if m.PatternDim == 0 {
			return
		}
		const n = 7
		s := &Sample{Pattern: mat.NewDense(n, m.PatternDim, nil), Semantic: mat.NewDense(n, m.SemanticDim, nil), Source: "fuzz"}
		for i := range n {
			for j := range m.PatternDim {
				s.Pattern.Set(i, j, float64((i*31+j*7)%11)-5)
			}
			// Row 0 is all zeros: a semantic vector of length zero.
			for j := range m.SemanticDim {
				if i > 0 {
					s.Semantic.Set(i, j, math.Sin(float64(i*m.SemanticDim+j)))
				}
			}
		}
		if err := m.AssignSample(s); err != nil {
			t.Fatalf("AssignSample on a sample of the model's widths: %v", err)
		}
		if len(s.Assign) != n || len(s.Dist) != n {
			t.Fatalf("AssignSample gave %d tasks and %d distances for %d rows", len(s.Assign), len(s.Dist), n)
		}
		for i := range n {
			if s.Assign[i] < 0 || s.Assign[i] >= m.K {
				t.Errorf("row %d assigned to task %d of %d", i, s.Assign[i], m.K)
			}
			if math.IsNaN(s.Dist[i]) || s.Dist[i] < 0 {
				t.Errorf("row %d: distance %v", i, s.Dist[i])
			}
		}
		// Assigning does not change what the model encodes to.
		if enc2, err := m.marshal(); err != nil || !bytes.Equal(enc, enc2) {
			t.Errorf("AssignSample changed the model's encoding (%v)", err)
		}
	})
}
