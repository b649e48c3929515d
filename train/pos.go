package train

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"

	prose "github.com/jdkato/prose/v2"

	"github.com/robustdata/robustdata/features"
)

// Task modes.
const (
	// TasksCluster makes each shard task of the dataset a task.
	TasksCluster = "cluster"
	// TasksPOS makes the part of speech of the masked word the task (the
	// paper's "POS-mask BERT" split): noun, verb, adjective, adverb,
	// other, tagged with jdkato/prose.
	TasksPOS = "pos"
)

// numPOS is the number of part-of-speech tasks.
const numPOS = 5

// POSClasses names the part-of-speech tasks, in task order.
var POSClasses = [numPOS]string{"noun", "verb", "adjective", "adverb", "other"}

// posClass maps a Penn Treebank tag to its task.
func posClass(tag string) int {
	switch {
	case strings.HasPrefix(tag, "NN"):
		return 0
	case strings.HasPrefix(tag, "VB"):
		return 1
	case strings.HasPrefix(tag, "JJ"):
		return 2
	case strings.HasPrefix(tag, "RB"):
		return 3
	}
	return 4
}

// posTaggedBytes bounds the text of a document that is tagged: a window
// needs only its start.
const posTaggedBytes = 2048

// tagger tags texts with one prose model, loaded once (a fresh model per
// document would cost a hundred times more).
type tagger struct {
	model *prose.Model
}

func newTagger() (*tagger, error) {
	doc, err := prose.NewDocument("model", prose.WithSegmentation(false), prose.WithExtraction(false))
	if err != nil {
		return nil, fmt.Errorf("robustdata/train: loading the part-of-speech tagger: %w", err)
	}
	return &tagger{model: doc.Model}, nil
}

// words returns the hashed words of the start of text and their classes
// (punctuation and symbols are left out).
func (t *tagger) words(text string) ([]uint64, []int, error) {
	if len(text) > posTaggedBytes {
		cut := posTaggedBytes
		for cut > 0 && text[cut]&0xC0 == 0x80 {
			cut--
		}
		text = text[:cut]
	}
	doc, err := prose.NewDocument(text, prose.UsingModel(t.model), prose.WithSegmentation(false), prose.WithExtraction(false))
	if err != nil {
		return nil, nil, fmt.Errorf("robustdata/train: tagging: %w", err)
	}
	var ids []uint64
	var classes []int
	for _, tok := range doc.Tokens() {
		if !strings.ContainsFunc(tok.Text, unicode.IsLetter) {
			continue
		}
		w := strings.ToLower(strings.ReplaceAll(tok.Text, "\u2019", "'"))
		ids = append(ids, features.TermHash(w))
		classes = append(classes, posClass(tok.Tag))
	}
	return ids, classes, nil
}

// posExample is a window and the position whose class makes its task.
type posExample struct {
	tokens []int32
	target int32
}

// windowExamples cuts a window from a tagged document, starting at a
// random word, and returns for each class at most one example: a random
// position of that class in the window.
func windowExamples(ids []uint64, classes []int, w, vocab int, rng *rand.Rand) [numPOS]*posExample {
	var out [numPOS]*posExample
	if len(ids) == 0 {
		return out
	}
	start := 0
	if len(ids) > w {
		start = rng.IntN(len(ids) - w + 1)
	}
	win := make([]int32, w)
	var at [numPOS][]int32
	for j := range w {
		win[j] = -1
		if start+j < len(ids) {
			win[j] = int32(ids[start+j] % uint64(vocab))
			c := classes[start+j]
			at[c] = append(at[c], int32(j))
		}
	}
	for c, pos := range at {
		if len(pos) > 0 {
			out[c] = &posExample{tokens: win, target: pos[rng.IntN(len(pos))]}
		}
	}
	return out
}
