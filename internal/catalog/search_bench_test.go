package catalog_test

import (
	"bytes"
	"fmt"
	"testing"

	"yiwang/internal/catalog"
	"yiwang/internal/demo"
)

// benchSnapshot is the demo catalogue grown to n items.
func benchSnapshot(b *testing.B, n int) *catalog.Snapshot {
	f, err := catalog.DecodeFile(bytes.NewReader(demo.CatalogueJSON))
	if err != nil {
		b.Fatal(err)
	}
	var entries []*catalog.Entry
	for i := 0; i < n; i++ {
		it := f.Items[i%len(f.Items)]
		it.Name = fmt.Sprintf("%s（%d）", it.Name, i)
		it.Code = fmt.Sprintf("%033d", i)
		entries = append(entries, &catalog.Entry{Item: it, DeptName: "桐庐县某局", Lists: catalog.ListsOf(&it)})
	}
	sn, err := catalog.NewSnapshot(entries)
	if err != nil {
		b.Fatal(err)
	}
	return sn
}

func BenchmarkSearch10k(b *testing.B) {
	sn := benchSnapshot(b, 10000)
	queries := []catalog.Query{{Q: "开饭店"}, {Q: "营业执照", List: "online"}, {Q: "我想给孩子办出生证明"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := sn.Search(queries[i%len(queries)]); err != nil {
			b.Fatal(err)
		}
	}
}
