package licence

import (
	"encoding/hex"
	"encoding/json"
	"fmt"

	"yiwang/internal/seal"
)

// Data is what a licence says (the 证照目录 fields of domain.md §4). It is
// signed as its canonical JSON: encoding/json writes struct fields in
// declaration order and map keys sorted, with no insignificant space, so
// the same Data always gives the same bytes.
type Data struct {
	Format       int               `json:"format"` // 1
	Identifier   string            `json:"identifier"`
	TypeCode     string            `json:"typeCode"`
	TypeName     string            `json:"typeName"`
	Number       string            `json:"number"`
	Version      string            `json:"version"`
	HolderKind   string            `json:"holderKind"`
	HolderName   string            `json:"holderName"`
	HolderIDType string            `json:"holderIdType"`
	HolderID     string            `json:"holderId"`
	IssuerName   string            `json:"issuerName"`
	IssuerCode   string            `json:"issuerCode"`
	DefinedBy    string            `json:"definedBy"`
	RegionCode   string            `json:"regionCode"`
	IssuedOn     string            `json:"issuedOn"`          // YYYY-MM-DD
	ValidFrom    string            `json:"validFrom"`         // YYYY-MM-DD
	ValidTo      string            `json:"validTo,omitempty"` // YYYY-MM-DD; empty: 长期
	ItemCode     string            `json:"itemCode,omitempty"`
	CaseNo       string            `json:"caseNo,omitempty"`
	Fields       map[string]string `json:"fields"`
}

const dataFormat = 1

// canonical is the signed byte form of d.
func (d *Data) canonical() ([]byte, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("licence: encode data: %w", err)
	}
	return b, nil
}

// hash is the SM3 digest of the canonical data, in hex.
func (d *Data) hash() (string, [seal.DigestSize]byte, error) {
	b, err := d.canonical()
	if err != nil {
		return "", [seal.DigestSize]byte{}, err
	}
	sum := seal.Digest(b)
	return hex.EncodeToString(sum[:]), sum, nil
}

// ValidityText is the validity as printed: "2026年12月02日至2031年12月01日" or
// "长期".
func (d *Data) ValidityText() string {
	if d.ValidTo == "" {
		return chineseDate(d.ValidFrom) + "起长期有效"
	}
	return chineseDate(d.ValidFrom) + "至" + chineseDate(d.ValidTo)
}

// chineseDate writes YYYY-MM-DD as YYYY年MM月DD日.
func chineseDate(s string) string {
	if len(s) != 10 {
		return s
	}
	return s[:4] + "年" + s[5:7] + "月" + s[8:10] + "日"
}
