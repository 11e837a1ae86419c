package files

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes bounds a stored display name.
const MaxNameRunes = 100

// maxExtRunes is the longest extension kept whole when a long name is
// shortened (longer ones are not ours to accept anyway).
const maxExtRunes = 8

// CleanName turns the name a client sent into a safe display name: its
// last path element only, without control or invisible format characters
// (a right-to-left override can make "gpj.exe" look like "exe.jpg"),
// without characters Windows refuses in file names, trimmed and at most
// MaxNameRunes long with the extension kept. A name that tries to climb
// out of a directory ("../") is refused rather than quietly repaired: no
// person's browser sends one, so it is a trick and the sender should know
// it did not work. A name left empty is refused too.
//
// The result never contains '/' or '\\', is never "." or "..", and
// CleanName(result) == result.
func CleanName(raw string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(raw, "") {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			// dropped
		case strings.ContainsRune(`<>:"|?*`, r):
			b.WriteRune('_')
		case unicode.IsSpace(r):
			b.WriteRune(' ')
		default:
			b.WriteRune(r)
		}
	}
	s := b.String()
	segments := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == '\\' })
	for _, seg := range segments {
		if strings.TrimSpace(seg) == ".." {
			return "", fileErr("文件名不能包含路径（如 ../），请直接选择文件上传")
		}
	}
	if strings.HasSuffix(s, "/") || strings.HasSuffix(s, `\`) || len(segments) == 0 {
		return "", errEmptyName
	}
	s = shorten(strings.TrimSpace(segments[len(segments)-1]))
	if s == "" || s == "." || s == ".." {
		return "", errEmptyName
	}
	return s, nil
}

var errEmptyName = fileErr("文件名为空或无效，请给文件起一个名字后再上传")

// shorten cuts s to MaxNameRunes, keeping a short extension so the type
// check still sees it.
func shorten(s string) string {
	if utf8.RuneCountInString(s) <= MaxNameRunes {
		return s
	}
	ext := ""
	if i := strings.LastIndexByte(s, '.'); i > 0 && utf8.RuneCountInString(s[i:]) <= maxExtRunes {
		ext = s[i:]
	}
	stem := []rune(s[:len(s)-len(ext)])
	stem = stem[:MaxNameRunes-utf8.RuneCountInString(ext)]
	// Trimming again keeps CleanName idempotent: a cut that ends in a space
	// would otherwise be trimmed the next time round.
	return strings.TrimSpace(string(stem) + ext)
}
