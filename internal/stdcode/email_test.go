package stdcode

import "testing"

func TestMaskEmail(t *testing.T) {
	tests := map[string]string{
		"wangxy@example.com":  "wa****@example.com",
		"ab@qq.com":           "a*@qq.com",
		"a@qq.com":            "*@qq.com",
		" lijianguo@163.com ": "li*******@163.com",
		"王秀英@例子.中国":           "王秀*@例子.中国",
		"@example.com":        "@example.com",
		"noatsign":            "n******n",
		"":                    "",
	}
	for in, want := range tests {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestValidateEmail(t *testing.T) {
	good := []string{"wangxy@example.com", "li.jian-guo+notices@mail.163.com", "a@b.cn"}
	for _, s := range good {
		if err := ValidateEmail(s); err != nil {
			t.Errorf("ValidateEmail(%q) = %v; want ok", s, err)
		}
	}
	bad := []string{"", "wangxy", "wangxy@", "@example.com", "wangxy@localhost", "王 <wangxy@example.com>",
		"wangxy@example..com", "wangxy@.example.com", "wang xy@example.com", "a@b.cn\r\nBcc: x@y.cn",
		"wangxy@example.com.", string(make([]byte, 255))}
	for _, s := range bad {
		if err := ValidateEmail(s); err == nil {
			t.Errorf("ValidateEmail(%q) accepted", s)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	if got := NormalizeEmail("\u3000WangXY@Example.COM "); got != "WangXY@example.com" {
		t.Fatalf("NormalizeEmail = %q", got)
	}
}
