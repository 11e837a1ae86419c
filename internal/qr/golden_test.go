package qr

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

// The golden file holds, for each input of goldenInputs, the version, the
// mask and the SHA-256 of the modules that Matrix gave when the file was
// written (by the encoder before its penalty was rewritten for speed):
// any change in the output of Matrix, version, mask choice or a single
// module, fails TestGolden. Regenerate only for an intended change:
//
//	go test ./internal/qr -run TestGolden -update
var updateGolden = flag.Bool("update", false, "rewrite testdata/golden.txt from the current encoder")

const goldenFile = "testdata/golden.txt"

type goldenInput struct {
	name string
	text string
}

// stream is a deterministic byte source independent of math/rand's
// generators: SHA-256 of a label and a counter.
type stream struct {
	label string
	n     uint64
	buf   []byte
}

func (s *stream) byte() byte {
	if len(s.buf) == 0 {
		var ctr [8]byte
		binary.BigEndian.PutUint64(ctr[:], s.n)
		s.n++
		h := sha256.Sum256(append([]byte(s.label), ctr[:]...))
		s.buf = h[:]
	}
	b := s.buf[0]
	s.buf = s.buf[1:]
	return b
}

func (s *stream) intn(n int) int {
	return int(binary.BigEndian.Uint32([]byte{s.byte(), s.byte(), s.byte(), s.byte()}) % uint32(n))
}

func (s *stream) from(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[s.intn(len(alphabet))]
	}
	return string(b)
}

func (s *stream) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = s.byte()
	}
	return b
}

// goldenInputs: texts of 1 to 1200 bytes of several kinds (the encoder
// has byte mode only, so "numeric" and "alphanumeric" are texts of those
// character sets, still encoded as bytes), real-looking licence payloads,
// and the longest and one-too-long texts of every version.
func goldenInputs() []goldenInput {
	const (
		numeric  = "0123456789"
		alnum    = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
		b64url   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
		printing = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
	)
	var in []goldenInput
	add := func(name, text string) { in = append(in, goldenInput{name, text}) }
	s := &stream{label: "qr golden inputs"}
	length := func(i int) int { // 1 to 1200, denser among short texts
		switch i % 4 {
		case 0:
			return 1 + s.intn(40)
		case 1:
			return 1 + s.intn(200)
		default:
			return 1 + s.intn(1200)
		}
	}
	for i := range 24 {
		add("bytes", string(s.bytes(length(i))))
	}
	for i := range 20 {
		add("numeric", s.from(numeric, length(i)))
	}
	for i := range 20 {
		add("alphanumeric", s.from(alnum, length(i)))
	}
	for i := range 16 {
		add("printable", s.from(printing, length(i)))
	}
	for i := range 12 {
		han := []string{"电", "子", "证", "照", "食", "品", "经", "营", "许", "可", "证", "：", "号", "一", "〇"}
		var b strings.Builder
		for n := length(i); b.Len() < n; {
			b.WriteString(han[s.intn(len(han))])
		}
		add("utf8", b.String())
	}
	// Uniform and periodic texts: long runs, finder-like patterns and ties
	// between masks are likelier.
	for _, n := range []int{1, 2, 7, 17, 100, 300, 640, 1200} {
		add("zeros", strings.Repeat("\x00", n))
		add("ones", strings.Repeat("\xff", n))
		add("repeat", strings.Repeat("A1b2", n)[:n])
	}
	// Licence payloads as issued: "YWL1." and the DER in base64url, 300 to
	// 450 characters; and some inside a verification URL.
	for i := range 60 {
		n := 300 + i*150/59
		if i%3 == 0 {
			der := s.bytes((n - 5) * 3 / 4)
			add("ywl1-der", "YWL1."+base64.RawURLEncoding.EncodeToString(der))
		} else {
			add("ywl1", "YWL1."+s.from(b64url, n-5))
		}
	}
	for range 8 {
		add("ywl1-url", "https://zwfw.example.gov.cn/verify?p=YWL1."+s.from(b64url, 300+s.intn(150)))
	}
	// Every version's capacity and one byte over (the next version).
	for v := 1; v <= 40; v++ {
		cc := 8
		if v >= 10 {
			cc = 16
		}
		capacity := (8*dataCodewords(v) - 4 - cc) / 8
		add(fmt.Sprintf("cap-v%d", v), s.from(b64url, capacity))
		if v < 40 {
			add(fmt.Sprintf("cap-v%d+1", v), s.from(b64url, capacity+1))
		}
	}
	return in
}

// goldenLine is the record of one input: version, mask (read back from the
// format modules) and the SHA-256 of the version, the mask and the modules
// row by row.
func goldenLine(i int, g goldenInput) (string, error) {
	m, err := Matrix(g.text)
	if err != nil {
		return "", fmt.Errorf("input %d (%s, %d bytes): %v", i, g.name, len(g.text), err)
	}
	n := len(m)
	ver := (n - 17) / 4
	mask := -1
	for k := range 8 {
		same := true
		formatModules(n, k, func(x, y int, dark bool) { same = same && m[y][x] == dark })
		if same {
			mask = k
		}
	}
	h := sha256.New()
	h.Write([]byte{byte(ver), byte(mask)})
	row := make([]byte, n)
	for y := range n {
		if len(m[y]) != n {
			return "", fmt.Errorf("input %d: row %d has %d modules, want %d", i, y, len(m[y]), n)
		}
		for x, d := range m[y] {
			row[x] = '0'
			if d {
				row[x] = '1'
			}
		}
		h.Write(row)
	}
	return fmt.Sprintf("%d %s %d v%d m%d %x", i, g.name, len(g.text), ver, mask, h.Sum(nil)), nil
}

func TestGolden(t *testing.T) {
	inputs := goldenInputs()
	got := make([]string, len(inputs))
	for i, g := range inputs {
		var err error
		if got[i], err = goldenLine(i, g); err != nil {
			t.Fatal(err)
		}
		var v int
		if _, err := fmt.Sscanf(g.name, "cap-v%d", &v); err == nil && strings.HasSuffix(g.name, "+1") {
			v++
		}
		if want := fmt.Sprintf(" v%d ", v); v > 0 && !strings.Contains(got[i], want) {
			t.Fatalf("input %d (%s): %s, want version %d", i, g.name, got[i], v)
		}
	}
	// The inputs themselves must not drift either: their digest is the
	// file's first line.
	ih := sha256.New()
	for _, g := range inputs {
		fmt.Fprintf(ih, "%d:%s\n", len(g.text), hex.EncodeToString([]byte(g.text)))
	}
	head := fmt.Sprintf("# qr golden: %d inputs, inputs sha256 %x", len(inputs), ih.Sum(nil))

	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenFile, []byte(head+"\n"+strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d inputs", goldenFile, len(inputs))
		return
	}
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want = append(want, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || want[0] != head {
		t.Fatalf("the golden inputs changed: %s has %q, the test makes %q", goldenFile, want[:min(1, len(want))], head)
	}
	want = want[1:]
	if len(want) != len(got) {
		t.Fatalf("%s has %d records, want %d", goldenFile, len(want), len(got))
	}
	bad := 0
	for i := range got {
		if got[i] != want[i] {
			bad++
			if bad <= 10 {
				t.Errorf("input %d:\n got  %s\n want %s", i, got[i], want[i])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d inputs differ from %s", bad, len(got), goldenFile)
	}

	// The same from four goroutines at once (the encoder reuses its
	// working memory).
	errs := make(chan string, 4)
	for g := range 4 {
		go func() {
			for i := g; i < len(inputs); i += 4 {
				if line, err := goldenLine(i, inputs[i]); err != nil || line != got[i] {
					errs <- fmt.Sprint(line, err)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if e := <-errs; e != "" {
			t.Errorf("concurrently: %s", e)
		}
	}
}
