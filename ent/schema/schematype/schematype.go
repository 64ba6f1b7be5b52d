// Package schematype holds the Go types stored in JSON columns of the ent
// schemas.
package schematype

// Transition is one declared move of a STRICT workflow: from a status, by an
// action (the mutation that takes it), to a status. Needs lists what the
// action requires (e.g. "reason", "payment", "finalDealValue"); a transition
// that needs something can only be taken through its own mutation.
type Transition struct {
	From   string   `json:"from"`
	Action string   `json:"action"`
	To     string   `json:"to"`
	Needs  []string `json:"needs,omitempty"`
	// Mutation names the API call that takes the transition, for errors
	// that point the caller to it.
	Mutation string `json:"mutation,omitempty"`
}

// Progress declares the progress updates of a workflow (the partner-lead
// "Progress Status"): which status allows them and the options.
type Progress struct {
	Status  string           `json:"status"`
	Options []ProgressOption `json:"options"`
}

// ProgressOption is one progress key and its display name.
type ProgressOption struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// TodoTemplate is a to-do an automation creates.
type TodoTemplate struct {
	Title    string `json:"title"`
	Blocking bool   `json:"blocking,omitempty"`
}
