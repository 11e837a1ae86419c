package pdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// The embedded font has 49 531 glyphs. gopdf embeds a "subset" that keeps
// the full loca and hmtx tables (400 kB) and deflates them again for every
// document: 20 ms a document, too slow for issuing licences. For a
// document whose text is known before layout (Licence), subsetFont builds
// a TrueType font of only the glyphs used (renumbered, .notdef first), which
// gopdf parses and embeds in microseconds. The big font is read once,
// read-only afterwards, so any number of goroutines can subset at once.

type ttfSource struct {
	tables    map[string][]byte
	loca      []uint32
	nhm       int // numberOfHMetrics
	segs      []cmapSeg
	cmapTable []byte
	cmapSub   int // offset of the (3,1) format 4 subtable in cmapTable
}

type cmapSeg struct{ start, end, delta, rangeOff, rangeOffPos int }

var (
	srcOnce sync.Once
	src     *ttfSource
	srcErr  error
)

func source() (*ttfSource, error) {
	srcOnce.Do(func() { src, srcErr = parseTTF(fontData) })
	return src, srcErr
}

func u16(b []byte, o int) int { return int(binary.BigEndian.Uint16(b[o:])) }

func parseTTF(d []byte) (*ttfSource, error) {
	if len(d) < 12 {
		return nil, errors.New("font too short")
	}
	s := &ttfSource{tables: map[string][]byte{}}
	n := u16(d, 4)
	for i := range n {
		e := d[12+16*i:]
		off, l := binary.BigEndian.Uint32(e[8:]), binary.BigEndian.Uint32(e[12:])
		if uint64(off)+uint64(l) > uint64(len(d)) {
			return nil, errors.New("font table out of range")
		}
		s.tables[string(e[:4])] = d[off : off+l]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf", "cmap", "name", "OS/2", "post"} {
		if s.tables[t] == nil {
			return nil, fmt.Errorf("font has no %s table", t)
		}
	}
	numGlyphs := u16(s.tables["maxp"], 4)
	s.nhm = u16(s.tables["hhea"], 34)
	loca := s.tables["loca"]
	s.loca = make([]uint32, numGlyphs+1)
	long := u16(s.tables["head"], 50) == 1
	for i := range s.loca {
		if long {
			s.loca[i] = binary.BigEndian.Uint32(loca[4*i:])
		} else {
			s.loca[i] = uint32(u16(loca, 2*i)) * 2
		}
	}
	cm := s.tables["cmap"]
	s.cmapTable = cm
	sub := -1
	for i := range u16(cm, 2) {
		e := 4 + 8*i
		if u16(cm, e) == 3 && u16(cm, e+2) == 1 {
			sub = int(binary.BigEndian.Uint32(cm[e+4:]))
		}
	}
	if sub < 0 || u16(cm, sub) != 4 {
		return nil, errors.New("font has no (3,1) format 4 cmap")
	}
	s.cmapSub = sub
	segX2 := u16(cm, sub+6)
	ends, starts, deltas, ranges := sub+14, sub+16+segX2, sub+16+2*segX2, sub+16+3*segX2
	for i := 0; i < segX2/2; i++ {
		s.segs = append(s.segs, cmapSeg{
			start: u16(cm, starts+2*i), end: u16(cm, ends+2*i), delta: u16(cm, deltas+2*i),
			rangeOff: u16(cm, ranges+2*i), rangeOffPos: ranges + 2*i,
		})
	}
	return s, nil
}

// glyphIndex maps a BMP rune to its glyph (0 when the font lacks it).
func (s *ttfSource) glyphIndex(r rune) int {
	if r < 0 || r > 0xFFFF {
		return 0
	}
	c := int(r)
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].end >= c })
	if i == len(s.segs) || s.segs[i].start > c {
		return 0
	}
	sg := s.segs[i]
	if sg.rangeOff == 0 {
		return (c + sg.delta) & 0xFFFF
	}
	o := sg.rangeOffPos + sg.rangeOff + 2*(c-sg.start)
	if o+2 > len(s.cmapTable) {
		return 0
	}
	g := u16(s.cmapTable, o)
	if g == 0 {
		return 0
	}
	return (g + sg.delta) & 0xFFFF
}

func (s *ttfSource) glyph(g int) []byte {
	if g+1 >= len(s.loca) {
		return nil
	}
	return s.tables["glyf"][s.loca[g]:s.loca[g+1]]
}

func (s *ttfSource) metric(g int) (adv, lsb int) {
	h := s.tables["hmtx"]
	if g < s.nhm {
		return u16(h, 4*g), u16(h, 4*g+2)
	}
	return u16(h, 4*(s.nhm-1)), u16(h, 4*s.nhm+2*(g-s.nhm))
}

// subsetFont returns a TrueType font holding the glyphs of runes (and of
// the components of composite glyphs), with a format 4 cmap for them.
// Runes the font lacks are left out (gopdf then draws .notdef).
func subsetFont(runes []rune) ([]byte, error) {
	f, err := subsetGlyphs(runes)
	if err != nil {
		return nil, err
	}
	return f.ttf, nil
}

// fontSubset is a subset font with what a PDF writer needs of it: the
// glyph of each rune (runes the font lacks have none) and each glyph's
// advance in thousandths of the font size (truncated, as gopdf does).
type fontSubset struct {
	ttf     []byte
	gid     map[rune]uint16
	width   []int // by new glyph id
	unicode []rune
	src     *ttfSource
}

func (f *fontSubset) upem() int { return u16(f.src.tables["head"], 18) }

// textWidth is the width of text at size points (runes without a glyph
// count nothing).
func (f *fontSubset) textWidth(text string, size float64) float64 {
	sum := 0
	for _, r := range text {
		if g, ok := f.gid[r]; ok {
			sum += f.width[g]
		}
	}
	return float64(sum) * size / 1000
}

func subsetGlyphs(runes []rune) (*fontSubset, error) {
	s, err := source()
	if err != nil {
		return nil, err
	}
	runes = slices.Clone(runes)
	slices.Sort(runes)
	runes = slices.Compact(runes)

	newID := map[int]int{0: 0}
	order := []int{0}
	add := func(g int) int {
		if id, ok := newID[g]; ok {
			return id
		}
		newID[g] = len(order)
		order = append(order, g)
		return newID[g]
	}
	type mapping struct {
		r  rune
		id int
	}
	var cmap []mapping
	for _, r := range runes {
		if g := s.glyphIndex(r); g != 0 {
			cmap = append(cmap, mapping{r, add(g)})
		}
	}
	// Composite glyphs: add their components (may add more, hence the
	// index loop) and rewrite the component ids.
	glyphs := make([][]byte, 0, len(order))
	for i := 0; i < len(order); i++ {
		g := s.glyph(order[i])
		if len(g) >= 10 && int16(u16(g, 0)) < 0 {
			g = slices.Clone(g)
			for o := 10; o+4 <= len(g); {
				flags := u16(g, o)
				comp := u16(g, o+2)
				binary.BigEndian.PutUint16(g[o+2:], uint16(add(comp)))
				o += 4
				if flags&0x0001 != 0 {
					o += 4
				} else {
					o += 2
				}
				switch {
				case flags&0x0008 != 0:
					o += 2
				case flags&0x0040 != 0:
					o += 4
				case flags&0x0080 != 0:
					o += 8
				}
				if flags&0x0020 == 0 {
					break
				}
			}
		}
		glyphs = append(glyphs, g)
	}

	n := len(order)
	var glyf, loca, hmtx []byte
	for i, g := range glyphs {
		loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))
		glyf = append(glyf, g...)
		if len(glyf)%4 != 0 {
			glyf = append(glyf, make([]byte, 4-len(glyf)%4)...)
		}
		adv, lsb := s.metric(order[i])
		hmtx = binary.BigEndian.AppendUint16(hmtx, uint16(adv))
		hmtx = binary.BigEndian.AppendUint16(hmtx, uint16(lsb))
	}
	loca = binary.BigEndian.AppendUint32(loca, uint32(len(glyf)))

	head := slices.Clone(s.tables["head"])
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment
	binary.BigEndian.PutUint16(head[50:], 1) // long loca
	hhea := slices.Clone(s.tables["hhea"])
	binary.BigEndian.PutUint16(hhea[34:], uint16(n))
	maxp := slices.Clone(s.tables["maxp"])
	binary.BigEndian.PutUint16(maxp[4:], uint16(n))
	post := slices.Clone(s.tables["post"][:32])
	binary.BigEndian.PutUint32(post[0:], 0x00030000) // no glyph names

	// cmap: one segment per run of consecutive runes with consecutive ids.
	type seg struct{ start, end, delta int }
	var segs []seg
	for _, m := range cmap {
		if k := len(segs) - 1; k >= 0 && int(m.r) == segs[k].end+1 && m.id-int(m.r) == segs[k].delta {
			segs[k].end++
			continue
		}
		segs = append(segs, seg{int(m.r), int(m.r), m.id - int(m.r)})
	}
	segs = append(segs, seg{0xFFFF, 0xFFFF, 1})
	sc := len(segs)
	sub := []byte{}
	p16 := func(v int) { sub = binary.BigEndian.AppendUint16(sub, uint16(v)) }
	p16(4)
	p16(16 + 8*sc)
	p16(0)
	p16(2 * sc)
	sr := 1
	es := 0
	for sr*2 <= sc {
		sr *= 2
		es++
	}
	p16(2 * sr)
	p16(es)
	p16(2*sc - 2*sr)
	for _, x := range segs {
		p16(x.end)
	}
	p16(0)
	for _, x := range segs {
		p16(x.start)
	}
	for _, x := range segs {
		p16(x.delta & 0xFFFF)
	}
	for range segs {
		p16(0)
	}
	cmapT := []byte{0, 0, 0, 1, 0, 3, 0, 1, 0, 0, 0, 12}
	cmapT = append(cmapT, sub...)

	tables := map[string][]byte{
		"cmap": cmapT, "glyf": glyf, "head": head, "hhea": hhea, "hmtx": hmtx, "loca": loca,
		"maxp": maxp, "name": s.tables["name"], "OS/2": s.tables["OS/2"], "post": post,
	}
	for _, t := range []string{"cvt ", "fpgm", "prep"} {
		if b := s.tables[t]; b != nil {
			tables[t] = b
		}
	}
	f := &fontSubset{ttf: writeTTF(tables), gid: make(map[rune]uint16, len(cmap)), width: make([]int, n), unicode: make([]rune, n), src: s}
	upem := u16(s.tables["head"], 18)
	for i, g := range order {
		adv, _ := s.metric(g)
		f.width[i] = adv * 1000 / upem
	}
	for _, m := range cmap {
		f.gid[m.r] = uint16(m.id)
		f.unicode[m.id] = m.r
	}
	return f, nil
}

func writeTTF(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	size := 12 + 16*len(tables)
	for t, b := range tables {
		tags = append(tags, t)
		size += (len(b) + 3) &^ 3
	}
	sort.Strings(tags)
	out := make([]byte, 12+16*len(tags), size)
	binary.BigEndian.PutUint32(out, 0x00010000)
	binary.BigEndian.PutUint16(out[4:], uint16(len(tags)))
	sr, es := 1, 0
	for sr*2 <= len(tags) {
		sr *= 2
		es++
	}
	binary.BigEndian.PutUint16(out[6:], uint16(16*sr))
	binary.BigEndian.PutUint16(out[8:], uint16(es))
	binary.BigEndian.PutUint16(out[10:], uint16(16*len(tags)-16*sr))
	for i, t := range tags {
		b := tables[t]
		e := out[12+16*i:]
		copy(e, t)
		binary.BigEndian.PutUint32(e[4:], checksum(b))
		binary.BigEndian.PutUint32(e[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(e[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

func checksum(b []byte) uint32 {
	var sum uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		sum += binary.BigEndian.Uint32(w[:])
	}
	return sum
}
