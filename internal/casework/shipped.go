package casework

import (
	_ "embed"
	"encoding/json"
	"fmt"
)

// WorkflowsFormat names the exchange format of workflow files.
const WorkflowsFormat = "yiwang-workflows/1"

// WorkflowFile is a file of workflow definitions.
type WorkflowFile struct {
	Format    string     `json:"format"`
	Workflows []Workflow `json:"workflows"`
}

//go:embed data/workflows.json
var shippedWorkflows []byte

// ShippedWorkflows are the workflows that come with the product: 即办件
// (instant), 承诺件 (standard), decisions by the department head
// (head-decides), and joint review with a second department (joint-zjj).
func ShippedWorkflows() ([]Workflow, error) {
	var f WorkflowFile
	if err := json.Unmarshal(shippedWorkflows, &f); err != nil {
		return nil, fmt.Errorf("shipped workflows: %w", err)
	}
	if f.Format != WorkflowsFormat {
		return nil, fmt.Errorf("shipped workflows: format %q", f.Format)
	}
	return f.Workflows, nil
}

// DefaultWorkflow is the workflow of an item that names none: 即办件 are
// decided at the window, 承诺件 go through 受理 → 审查 → 决定.
func DefaultWorkflow(handlingType string) string {
	if handlingType == "1" {
		return "instant"
	}
	return "standard"
}
