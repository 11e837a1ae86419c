package demo

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"strings"

	"yiwang/internal/catalog"
	"yiwang/internal/identity"
)

// CatalogueJSON is the demo service catalogue of 桐庐县 in the exchange
// format "yiwang-catalogue/1" (catalog.File): shared application forms and
// about a hundred service items of the sixteen demo departments, with their
// service-guide elements, situations, materials and list flags. Item codes
// (implCode, code) are left empty: the loader derives them from the
// department's 统一社会信用代码, the level and the base code.
//
//go:embed catalogue.json
var CatalogueJSON []byte

// LoadCatalogue imports the demo catalogue as the platform administrator
// (all-or-nothing, like any import).
func LoadCatalogue(ctx context.Context, cat *catalog.Service) error {
	f, err := catalog.DecodeFile(bytes.NewReader(CatalogueJSON))
	if err != nil {
		return err
	}
	var adminID string
	if err := cat.DB.QueryRowContext(ctx, `SELECT id FROM accounts WHERE username = 'admin'`).Scan(&adminID); err != nil {
		return fmt.Errorf("demo administrator: %w", err)
	}
	actor := &identity.Principal{AccountID: adminID, Username: "admin", Kind: identity.KindStaff, DisplayName: "演示数据导入", Roles: []identity.Role{identity.RoleAdmin}}
	rep, err := cat.Import(ctx, actor, f)
	if err != nil && rep != nil {
		var b strings.Builder
		for i, p := range rep.Problems {
			if i == 10 {
				fmt.Fprintf(&b, "\n… %d more", len(rep.Problems)-10)
				break
			}
			fmt.Fprintf(&b, "\n%s %d (%s) %s: %s", p.Kind, p.Row, p.Name, p.Field, p.Message)
		}
		return fmt.Errorf("%w%s", err, b.String())
	}
	return err
}
