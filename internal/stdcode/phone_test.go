package stdcode

import (
	"strings"
	"testing"
)

func TestNormalizePhone(t *testing.T) {
	tests := map[string]string{
		"13812345678":         "13812345678",
		"138 1234 5678":       "13812345678",
		"138-1234-5678":       "13812345678",
		"+86 138 1234 5678":   "13812345678",
		"+86-13812345678":     "13812345678",
		"(+86) 138 1234 5678": "13812345678",
		"8613812345678":       "13812345678",
		"86 138-1234-5678":    "13812345678",
		"0086 13812345678":    "13812345678",
		"＋８６ １３８１２３４５６７８":  "13812345678",
		"138—1234—5678":    "13812345678",
		"0571-87654321":    "057187654321",
		"(0571) 8765 4321": "057187654321",
		"86123456":         "86123456", // an 86 that is part of a local number stays
		"+1 415 555 0100":  "+14155550100",
		"":                 "",
		"+86":              "",
		"+868613812345678": "13812345678",
		"phone: 138":       "phone:138",
	}
	for in, want := range tests {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestValidateMobile(t *testing.T) {
	for _, s := range []string{"13812345678", "19912345678", "15000000000", "+86 138 1234 5678", "86-138-1234-5678", "１３８１２３４５６７８"} {
		if err := ValidateMobile(s); err != nil {
			t.Errorf("ValidateMobile(%q) = %v; want nil", s, err)
		}
	}
	invalid := []struct {
		s, want string
	}{
		{"", "手机号码不能为空"},
		{" - ", "手机号码不能为空"},
		{"1381234567", "手机号码应为11位数字，当前为10位"},
		{"138123456789", "手机号码应为11位数字，当前为12位"},
		{"1381234567a", "手机号码只能包含数字"},
		{"+14155550100", "手机号码只能包含数字"},
		{"12812345678", "手机号码号段无效，应以13至19开头"},
		{"10012345678", "手机号码号段无效"},
		{"23812345678", "手机号码号段无效"},
		{"05718765432", "手机号码号段无效"},
	}
	for _, tt := range invalid {
		err := ValidateMobile(tt.s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ValidateMobile(%q) = %v; want error containing %q", tt.s, err, tt.want)
		}
	}
}
