package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"yiwang/internal/catalog"
	"yiwang/internal/stdcode"
)

// FillForm answers a catalogue form the way a real applicant in 桐庐 might:
// plausible names, addresses, numbers within bounds, values that match each
// field's pattern. Fields whose prefill source prefilled reports available
// are left empty for the platform to fill (免填写). seed makes the answers
// repeatable and varied. It serves the demo cases, tests and the bench.
func FillForm(f *catalog.Form, a catalog.Answers, seed uint64, prefilled func(source string) bool) catalog.Values {
	out := catalog.Values{}
	if f == nil {
		return out
	}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for _, fl := range f.FieldsFor(a) {
		if fl.Prefill != "" && prefilled != nil && prefilled(fl.Prefill) {
			continue
		}
		if !fl.Required && r.IntN(3) == 0 {
			continue // people leave optional fields empty
		}
		if v := fieldValue(fl, r); len(v) > 0 {
			out[fl.Name] = v
		}
	}
	return out
}

var (
	surnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程")
	givenNames = []string{"秀英", "建国", "丽华", "志强", "海燕", "晓峰", "佳怡", "子涵", "国华", "美玲", "文博", "雨萱", "宇航", "欣怡", "俊杰", "桂芳", "伟", "敏", "静", "磊"}
	streets    = []string{"桐君街道迎春南路", "桐君街道春江路", "旧县街道富春路", "城南街道白云源东路", "凤川街道翙岗路", "富春江镇芦茨村", "横村镇横村大道", "分水镇五云路"}
	shops      = []string{"春江小馆", "富春山居农家乐", "桐君面馆", "瑶琳鲜果店", "分水笔业经营部", "凤川茶叶商行", "芦茨民宿", "白云源土菜馆"}
	projects   = []string{"桐庐县城南片区安置房项目", "富春江镇芦茨村文旅综合体", "横村镇工业园区标准厂房（三期）", "桐君街道学圣路改造工程"}
	// patterns maps a field pattern to a value that matches it.
	patterns = map[string]func(r *rand.Rand) string{
		`^JY[0-9]{14}$`:                   func(r *rand.Rand) string { return fmt.Sprintf("JY%014d", 33301220000000+r.IntN(99999)) },
		`^[0-9]{12,19}$`:                  func(r *rand.Rand) string { return fmt.Sprintf("6228480%012d", r.Int64N(1e12)) },
		`^[A-Z][0-9]{9}$`:                 func(r *rand.Rand) string { return fmt.Sprintf("R%09d", 330000000+r.IntN(999999)) },
		`^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$`: func(r *rand.Rand) string { return fmt.Sprintf("2026-330122-47-01-%06d", r.IntN(999999)) },
		`^[0-9A-Z]{28}$`: func(r *rand.Rand) string {
			return fmt.Sprintf("330122001001GB%05dF%08d", r.IntN(99999), r.IntN(99999999))
		},
		`^\d{12}$`: func(r *rand.Rand) string { return fmt.Sprintf("330122%06d", r.IntN(999999)) },
	}
)

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func personName(r *rand.Rand) string { return string(pick(r, surnames)) + pick(r, givenNames) }

func address(r *rand.Rand) string {
	return fmt.Sprintf("桐庐县%s%d号", pick(r, streets), 1+r.IntN(399))
}

func fieldValue(fl catalog.Field, r *rand.Rand) []string {
	if gen, ok := patterns[fl.Pattern]; ok {
		return []string{gen(r)}
	} else if fl.Pattern != "" {
		return nil
	}
	label := fl.Label
	switch fl.Type {
	case "number":
		lo, hi := 1.0, 200.0
		if fl.Min != nil {
			lo = *fl.Min
		}
		if fl.Max != nil && *fl.Max < hi {
			hi = *fl.Max
		}
		if hi < lo {
			hi = lo
		}
		if strings.Contains(label, "人数") {
			return []string{fmt.Sprint(int(lo) + r.IntN(max(1, min(int(hi-lo), 5))))}
		}
		return []string{fmt.Sprint(int(lo) + r.IntN(max(1, int(hi-lo))))}
	case "date":
		return []string{fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(9), 1+r.IntN(28))}
	case "select", "radio":
		if len(fl.Options) == 0 {
			return nil
		}
		return []string{fl.Options[r.IntN(len(fl.Options))].ID}
	case "multiselect":
		if len(fl.Options) == 0 {
			return nil
		}
		return []string{fl.Options[0].ID}
	case "checkbox":
		return []string{"1"}
	case "phone":
		return []string{fmt.Sprintf("1%d%08d", []int{35, 39, 58, 86, 88}[r.IntN(5)], r.IntN(1e8))}
	case "idnumber":
		first := fmt.Sprintf("330122%04d%02d%02d%03d", 1950+r.IntN(50), 1+r.IntN(12), 1+r.IntN(28), r.IntN(999))
		c, _ := stdcode.IDCheckChar(first)
		return []string{first + string(c)}
	case "creditcode":
		org := fmt.Sprintf("MA2K%04d", r.IntN(9999))
		oc, _ := stdcode.OrgCodeCheckChar(org)
		body := "91330122" + org + string(oc)
		c, _ := stdcode.CreditCodeCheckChar(body)
		return []string{body + string(c)}
	case "region":
		return []string{pick(r, []string{"330122001000", "330122002000", "330122102000", "330122103000"})}
	case "email":
		return []string{fmt.Sprintf("tl%04d@example.cn", r.IntN(9999))}
	case "address":
		return []string{address(r)}
	}
	var v string
	switch {
	case strings.Contains(label, "姓名") || strings.Contains(label, "管理人员") || strings.Contains(label, "法定代表人"):
		v = personName(r)
	case strings.Contains(label, "项目名称"):
		v = pick(r, projects)
	case strings.Contains(label, "名称") || strings.Contains(label, "单位"):
		v = "桐庐县" + pick(r, shops)
	case strings.Contains(label, "银行"):
		v = pick(r, []string{"中国农业银行桐庐支行", "浙江桐庐农村商业银行", "中国工商银行桐庐支行"})
	case strings.Contains(label, "地点") || strings.Contains(label, "机构"):
		v = "桐庐县第一人民医院"
	case strings.Contains(label, "学科"):
		v = pick(r, []string{"语文", "数学", "英语", "音乐"})
	case strings.Contains(label, "范围"):
		v = "餐饮服务；食品销售（仅销售预包装食品）"
	case strings.Contains(label, "股东"):
		v = personName(r) + "，货币出资50万元，占100%"
	case strings.Contains(label, "理由") || strings.Contains(label, "说明") || strings.Contains(label, "内容") || strings.Contains(label, "事项"):
		v = "因经营需要申请办理，相关情况详见所附材料，请予审核。"
	case strings.Contains(label, "病"):
		v = "高血压病"
	case strings.Contains(label, "编号") || strings.Contains(label, "证书") || strings.Contains(label, "号"):
		v = fmt.Sprintf("浙（2026）桐庐县不动产权第%07d号", r.IntN(9999999))
	default:
		v = "详见所附材料"
	}
	n := len([]rune(v))
	if fl.Max != nil && float64(n) > *fl.Max {
		v = string([]rune(v)[:int(*fl.Max)])
	}
	if fl.Min != nil && float64(len([]rune(v))) < *fl.Min {
		return nil
	}
	return []string{v}
}
