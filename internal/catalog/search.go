package catalog

import (
	_ "embed"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

//go:embed data/dict.txt
var dictText string

//go:embed data/synonyms.txt
var synonymsText string

// Segmenter cuts Chinese text into words with a dictionary (gse, a Go
// implementation of jieba's DAG + HMM segmentation) and adds character
// bigrams, so a query matches whether or not the dictionary knows its
// words.
type Segmenter struct {
	mu       sync.RWMutex // AddToken changes the dictionary while searches read it
	seg      gse.Segmenter
	synonyms map[string][]string // everyday word → canonical terms
	words    []string            // every synonym word, longest first
	canon    sync.Map            // canonical term → its search terms (cached)
}

var (
	defaultSegmenter     *Segmenter
	defaultSegmenterErr  error
	defaultSegmenterOnce sync.Once
)

// DefaultSegmenter loads the embedded dictionary and synonyms once.
func DefaultSegmenter() (*Segmenter, error) {
	defaultSegmenterOnce.Do(func() {
		defaultSegmenter, defaultSegmenterErr = NewSegmenter(dictText, synonymsText)
	})
	return defaultSegmenter, defaultSegmenterErr
}

// NewSegmenter builds a segmenter from a dictionary ("word freq pos" per
// line) and synonym groups (canonical word first, one group per line).
func NewSegmenter(dict, synonyms string) (*Segmenter, error) {
	s := &Segmenter{synonyms: map[string][]string{}}
	s.seg.SkipLog = true
	if err := s.seg.LoadDictStr(dict); err != nil {
		return nil, err
	}
	for _, line := range strings.Split(synonyms, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		words := strings.Fields(line)
		if len(words) < 2 {
			continue
		}
		canon := words[0]
		for _, w := range words {
			if w != canon {
				s.synonyms[w] = appendUnique(s.synonyms[w], canon)
			}
			s.addWord(w)
		}
	}
	for w := range s.synonyms {
		s.words = append(s.words, w)
	}
	sort.Slice(s.words, func(i, j int) bool {
		if len(s.words[i]) != len(s.words[j]) {
			return len(s.words[i]) > len(s.words[j])
		}
		return s.words[i] < s.words[j]
	})
	return s, nil
}

// addWord teaches the segmenter a domain word (item names, aliases…).
func (s *Segmenter) addWord(w string) {
	if utf8.RuneCountInString(w) >= 2 && utf8.RuneCountInString(w) <= 20 {
		s.mu.Lock()
		_ = s.seg.AddToken(w, 2000, "n")
		s.mu.Unlock()
	}
}

func appendUnique(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

// stopWords carry no meaning for finding a service.
var stopWords = map[string]bool{
	"我": true, "想": true, "要": true, "我想": true, "我要": true, "怎么": true, "怎样": true, "如何": true,
	"的": true, "了": true, "在": true, "哪里": true, "在哪": true, "哪儿": true, "去": true, "办": true,
	"办理": true, "需要": true, "什么": true, "手续": true, "流程": true, "可以": true, "吗": true, "呢": true,
	"和": true, "与": true, "及": true, "一个": true, "个": true, "给": true, "帮": true, "能": true, "请问": true,
}

// Terms returns the search terms of text: dictionary words (with their
// sub-words) and bigrams of every run of Chinese characters, lower-cased,
// without stop words and single Chinese characters.
func (s *Segmenter) Terms(text string) []string {
	text = strings.ToLower(text)
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		t = strings.TrimSpace(t)
		if t == "" || seen[t] || stopWords[t] {
			return
		}
		n := utf8.RuneCountInString(t)
		if n < 2 && !isASCIIAlnum(t) {
			return
		}
		seen[t] = true
		out = append(out, t)
	}
	s.mu.RLock()
	words := s.seg.CutSearch(text, true)
	s.mu.RUnlock()
	for _, w := range words {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
			continue
		}
		add(w)
	}
	var run []rune
	flush := func() {
		for i := 0; i+1 < len(run); i++ {
			add(string(run[i : i+2]))
		}
		run = run[:0]
	}
	for _, r := range text {
		if unicode.Is(unicode.Han, r) {
			run = append(run, r)
		} else {
			flush()
		}
	}
	flush()
	return out
}

func isASCIIAlnum(s string) bool {
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return false
		}
	}
	return s != ""
}

// Expand returns the canonical terms of every everyday word the query
// contains ("我想开饭店" contains 开饭店 → 餐饮, 食品经营).
func (s *Segmenter) Expand(query string) []string {
	var out []string
	q := strings.ToLower(query)
	for _, w := range s.words {
		if strings.Contains(q, w) {
			for _, c := range s.synonyms[w] {
				out = appendUnique(out, c)
			}
		}
	}
	return out
}

// Field weights: what a match in each part of an item is worth.
const (
	wName         = 10
	wAlias        = 8
	wMain         = 6
	wKeyword      = 5
	wTheme        = 3
	wDept         = 2
	wText         = 1
	maxQueryTerms = 32
	// minRelativeScore is the share of the best score a hit needs.
	minRelativeScore = 0.2
	maxQueryRunes    = 200
)

type posting struct {
	doc    int32
	weight float32
}

// Index is an in-memory inverted index over a catalogue snapshot.
type Index struct {
	seg      *Segmenter
	postings map[string][]posting
	n        int
}

// Doc is what the index needs of one item.
type Doc struct {
	Name, MainItem, SubItem, Department string
	Aliases, Keywords, Themes           []string
	Text                                []string // conditions, material names, result…
}

// BuildIndex indexes docs; doc i is result i of Search.
func BuildIndex(seg *Segmenter, docs []Doc) *Index {
	for _, d := range docs {
		seg.addWord(d.Name)
		seg.addWord(d.MainItem)
		for _, a := range d.Aliases {
			seg.addWord(a)
		}
		for _, k := range d.Keywords {
			seg.addWord(k)
		}
	}
	ix := &Index{seg: seg, postings: map[string][]posting{}, n: len(docs)}
	for i, d := range docs {
		weights := map[string]float32{}
		put := func(text string, w float32) {
			for _, t := range seg.Terms(text) {
				if weights[t] < w {
					weights[t] = w
				}
			}
		}
		for _, t := range d.Text {
			put(t, wText)
		}
		put(d.Department, wDept)
		for _, t := range d.Themes {
			put(t, wTheme)
		}
		for _, k := range d.Keywords {
			put(k, wKeyword)
		}
		put(d.MainItem, wMain)
		put(d.SubItem, wMain)
		for _, a := range d.Aliases {
			put(a, wAlias)
		}
		put(d.Name, wName)
		for t, w := range weights {
			ix.postings[t] = append(ix.postings[t], posting{doc: int32(i), weight: w})
		}
	}
	return ix
}

var scorePool sync.Pool

// canonTerms returns (and remembers) the search terms of a canonical
// synonym, so expanding a query does not segment the same words again.
func (s *Segmenter) canonTerms(c string) []string {
	if v, ok := s.canon.Load(c); ok {
		return v.([]string)
	}
	t := s.Terms(c)
	s.canon.Store(c, t)
	return t
}

// Hit is one search result: a document number and its score.
type Hit struct {
	Doc   int
	Score float64
}

// Search scores every document that matches any term of the query (after
// synonym expansion) by field weight × inverse document frequency. A query
// of any length or content is safe: it is cut to maxQueryRunes and at most
// maxQueryTerms terms are used.
func (ix *Index) Search(query string) []Hit {
	query = strings.TrimSpace(query)
	if utf8.RuneCountInString(query) > maxQueryRunes {
		query = string([]rune(query)[:maxQueryRunes])
	}
	terms := ix.seg.Terms(query)
	expanded := ix.seg.Expand(query)
	if len(terms) > maxQueryTerms {
		terms = terms[:maxQueryTerms]
	}
	// Scores live in a dense array (one slot per document) taken from a
	// pool; touched remembers which slots to read back and clear.
	sc, _ := scorePool.Get().(*[]float32)
	if sc == nil || len(*sc) < ix.n {
		s := make([]float32, ix.n)
		sc = &s
	}
	scores := *sc
	var touched []int32
	apply := func(t string, boost float64) {
		ps := ix.postings[t]
		if len(ps) == 0 {
			return
		}
		w := float32(boost * math.Log(1+float64(ix.n)/float64(len(ps))))
		for _, p := range ps {
			if scores[p.doc] == 0 {
				touched = append(touched, p.doc)
			}
			scores[p.doc] += p.weight * w
		}
	}
	for _, t := range terms {
		apply(t, 1)
	}
	for _, c := range expanded {
		for _, t := range ix.seg.canonTerms(c) {
			apply(t, 1.5)
		}
	}
	hits := make([]Hit, 0, len(touched))
	for _, d := range touched {
		hits = append(hits, Hit{Doc: int(d), Score: float64(scores[d])})
		scores[d] = 0
	}
	scorePool.Put(sc)
	slices.SortFunc(hits, func(a, b Hit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return a.Doc - b.Doc
	})
	// Drop the long tail of incidental matches (a shared bigram in some
	// material name): keep what scores at least a fifth of the best.
	if len(hits) > 0 {
		floor := hits[0].Score * minRelativeScore
		n := sort.Search(len(hits), func(i int) bool { return hits[i].Score < floor })
		hits = hits[:n]
	}
	return hits
}
