package stream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
)

// ProvenanceKey is the schema metadata key that carries a stream's
// provenance from stage to stage, through files and pipes alike, so that
// the last stage can write a manifest naming the original inputs.
const ProvenanceKey = "robustdata.provenance"

// Provenance tells where a stream's rows came from and which stages made
// it.
type Provenance struct {
	// Inputs are the files the first stage read.
	Inputs []ManifestInput `json:"inputs"`
	// Seed is the random seed of the run.
	Seed uint64 `json:"seed"`
	// Stages lists each stage and its configuration, in order.
	Stages []StageRecord `json:"stages"`
}

// StageRecord is one stage of a Provenance.
type StageRecord struct {
	Stage  string         `json:"stage"`
	Config map[string]any `json:"config"`
}

// ProvenanceOf reads the provenance of a schema, if it has one.
func ProvenanceOf(sc *arrow.Schema) (*Provenance, bool) {
	md := sc.Metadata()
	i := md.FindKey(ProvenanceKey)
	if i < 0 {
		return nil, false
	}
	var p Provenance
	if err := json.Unmarshal([]byte(md.Values()[i]), &p); err != nil {
		return nil, false
	}
	return &p, true
}

// WithProvenance returns sc with its provenance metadata set to p.
func WithProvenance(sc *arrow.Schema, p *Provenance) (*arrow.Schema, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("robustdata/pipeline: recording provenance: %w", err)
	}
	md := sc.Metadata()
	keys, vals := []string{}, []string{}
	for i, k := range md.Keys() {
		if k != ProvenanceKey {
			keys = append(keys, k)
			vals = append(vals, md.Values()[i])
		}
	}
	keys = append(keys, ProvenanceKey)
	vals = append(vals, string(data))
	m := arrow.NewMetadata(keys, vals)
	return arrow.NewSchema(sc.Fields(), &m), nil
}

// StageProvenance returns the provenance of a stage's output: the input
// schema's provenance (when the input came from an earlier stage) or a new
// one naming inputs (hashed, see HashInputs), with the stage appended.
func StageProvenance(ctx context.Context, in *arrow.Schema, inputs []Input, seed uint64, stage string, config map[string]any) (*Provenance, error) {
	p, ok := ProvenanceOf(in)
	if !ok {
		hashed, err := HashInputs(ctx, inputs)
		if err != nil {
			return nil, err
		}
		p = &Provenance{Inputs: hashed, Seed: seed}
	}
	p.Stages = append(p.Stages, StageRecord{Stage: stage, Config: config})
	return p, nil
}

// HashInputs returns the size and sha256 of every file input. Standard
// input cannot be read twice: it is listed with size -1 and no hash.
func HashInputs(ctx context.Context, inputs []Input) ([]ManifestInput, error) {
	out := make([]ManifestInput, 0, len(inputs))
	for _, in := range inputs {
		if in.Streamed() { // read once, by the stage: nothing to hash
			out = append(out, ManifestInput{Path: in.Name, Bytes: -1})
			continue
		}
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, FileError(in.Path, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, ctxReader{ctx, f})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("robustdata/pipeline: hashing %s: %w", in.Name, err)
		}
		out = append(out, ManifestInput{Path: in.Name, Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return out, nil
}
