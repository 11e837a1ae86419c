package catalog

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"
)

// ruledItem is the sample item with every rule set.
func ruledItem() Item {
	it := sampleItem()
	it.Rules = Rules{
		SupplementLimit: Limit{Amount: 5, Unit: "1"}, SupplementClock: "restart",
		ToleranceResult: "issue", ToleranceDays: 20,
		PledgeText: "承诺经营场所符合要求。", PledgeLimit: Limit{Amount: 0, Unit: "1"}, PledgeWorkflow: "pledge",
		PostCheckLimit: Limit{Amount: 3, Unit: "5"}, Extension: 10, ExtensionRole: "approver",
		Delivery: []string{"online", "window", "post"},
	}
	return it
}

func TestXLSXRoundTripKeepsRules(t *testing.T) {
	ruled, plain := ruledItem(), sampleItem()
	f := &File{Format: Format, Forms: []Form{*testForm}, Items: []Item{ruled, plain}}
	var buf bytes.Buffer
	if err := WriteXLSX(f, &buf); err != nil {
		t.Fatal(err)
	}
	back, probs, err := ReadXLSX(bytes.NewReader(buf.Bytes()))
	if err != nil || len(probs) > 0 {
		t.Fatalf("read: %v %v", err, probs)
	}
	if !reflect.DeepEqual(back.Items[0].Rules, ruled.Rules) {
		t.Fatalf("rules after a round trip:\n got %+v\nwant %+v", back.Items[0].Rules, ruled.Rules)
	}
	// An item with the default rules stays without rules (empty cells, not zeros that mean something).
	if !reflect.DeepEqual(back.Items[1].Rules, Rules{}) {
		t.Fatalf("default rules after a round trip: %+v", back.Items[1].Rules)
	}
	x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(sheetItems)
	cell := func(row int, head string) string {
		for c, h := range rows[0] {
			if h == head {
				if c < len(rows[row]) {
					return rows[row][c]
				}
				return ""
			}
		}
		t.Fatalf("no column %s", head)
		return ""
	}
	if cell(1, "送达方式") != "online\nwindow\npost" || cell(1, "补正计时规则") != "restart" || cell(1, "告知承诺办理时限") != "0" || cell(2, "容缺补交期限（工作日）") != "" {
		t.Fatalf("rule cells: %q %q %q %q", cell(1, "送达方式"), cell(1, "补正计时规则"), cell(1, "告知承诺办理时限"), cell(2, "容缺补交期限（工作日）"))
	}

	// A workbook from before the rules had columns still reads: default rules.
	for c := len(rows[0]); c > 0; c-- {
		h := rows[0][c-1]
		for _, rc := range ruleCols {
			if rc.head == h {
				name, _ := excelize.ColumnNumberToName(c)
				if err := x.RemoveCol(sheetItems, name); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	buf.Reset()
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	old, probs, err := ReadXLSX(bytes.NewReader(buf.Bytes()))
	if err != nil || len(probs) > 0 || len(old.Items) != 2 || !reflect.DeepEqual(old.Items[0].Rules, Rules{}) {
		t.Fatalf("workbook without rule columns: %v %v", err, probs)
	}
}
