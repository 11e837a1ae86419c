package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"yiwang/internal/casework"
	"yiwang/internal/catalog"
	"yiwang/internal/demo"
)

// pdf is a valid one-page PDF (demo.ScanPDF); n varies its content so
// that each upload is a different file.
func pdf(n int) []byte { return []byte(demo.ScanPDF(fmt.Sprintf("bench scan %d", n))) }

type materialRef struct {
	Material string `json:"material"`
	File     string `json:"file"`
}

type application struct {
	Item      string            `json:"item"`
	Situation map[string]string `json:"situation"`
	Form      map[string]any    `json:"form"`
	Materials []materialRef     `json:"materials"`
	Submit    bool              `json:"submit"`
}

// requiredMaterial mirrors casework's rule: 必要 materials the applicant
// brings must come with a submission.
func requiredMaterial(m catalog.Material) bool {
	return casework.MustSubmit(m)
}

// buildBodies makes variants submissions of item g for applicant acc: the
// first option of every question, a form filled as demo.FillForm fills it
// (免填写 fields left for the server), and one of the applicant's uploaded
// files for every required material.
func buildBodies(g itemGuide, acc *account, variants int, seedBase uint64) ([][]byte, error) {
	sit := map[string]string{}
	for _, s := range g.Situations {
		if len(s.Options) > 0 {
			sit[s.ID] = s.Options[0].ID
		}
	}
	answers := catalog.Answers(sit)
	prefilled := func(src string) bool {
		return strings.HasPrefix(src, "person.") || strings.HasPrefix(src, "company.") && acc.kind == "company"
	}
	out := make([][]byte, 0, variants)
	for v := range variants {
		app := application{Item: g.Code, Situation: sit, Form: map[string]any{}, Submit: true, Materials: []materialRef{}}
		for name, vals := range demo.FillForm(g.FormDefinition, answers, seedBase+uint64(v), prefilled) {
			if len(vals) == 1 {
				app.Form[name] = vals[0]
			} else {
				app.Form[name] = vals
			}
		}
		for i, m := range g.MaterialsFor(answers) {
			if requiredMaterial(m) {
				app.Materials = append(app.Materials, materialRef{Material: m.ID, File: acc.files[(i+v)%len(acc.files)]})
			}
		}
		b, err := json.Marshal(app)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
