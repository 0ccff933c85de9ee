package spec

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckInput(t *testing.T) {
	inputs := []Input{{Name: "mode", Type: TypeString}, {Name: "limit", Type: TypeInt}, {Name: "ratio", Type: TypeNumber},
		{Name: "on", Type: TypeBool}, {Name: "tags", Type: TypeArray}, {Name: "opts", Type: TypeObject}, {Name: "date"}}
	raw := func(kv ...string) map[string]json.RawMessage {
		m := map[string]json.RawMessage{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = []byte(kv[i+1])
		}
		return m
	}
	for _, c := range []struct {
		name   string
		values map[string]json.RawMessage
		want   []string
	}{
		{"every type it declares", raw("mode", `"full"`, "limit", `10`, "ratio", `0.5`, "on", `true`, "tags", `["a"]`,
			"opts", `{"x":1}`, "date", `null`), nil},
		{"nothing", nil, nil},
		{"keys a schedule adds", raw(InputScheduledTime, `"2026-12-02T00:00:00Z"`, InputSchedule, `"nightly"`, InputFireKind, `"manual"`), nil},
		{"misspelt key", raw("mdoe", `"full"`),
			[]string{`input key "mdoe" is not an input of workflow "etl" (inputs: mode, limit, ratio, on, tags, opts, date); did you mean "mode"?`}},
		{"unknown key", raw("zzzzzz", `1`),
			[]string{`input key "zzzzzz" is not an input of workflow "etl" (inputs: mode, limit, ratio, on, tags, opts, date); HINT`}},
		{"wrong types", raw("mode", `1`, "limit", `1.5`, "on", `"yes"`, "ratio", ` "x"`, "tags", `{}`, "opts", `[]`),
			[]string{
				`input "limit" of workflow "etl" is the number 1.5, with a fraction or an exponent, but the workflow declares limit:int`,
				`input "mode" of workflow "etl" is a JSON number, but the workflow declares mode:string`,
				`input "on" of workflow "etl" is a JSON string, but the workflow declares on:bool`,
				`input "opts" of workflow "etl" is a JSON array, but the workflow declares opts:object`,
				`input "ratio" of workflow "etl" is a JSON string, but the workflow declares ratio:number`,
				`input "tags" of workflow "etl" is a JSON object, but the workflow declares tags:array`,
			}},
		{"an int with an exponent", raw("limit", `1e3`), []string{`input "limit" of workflow "etl" is the number 1e3, with a fraction or an exponent, but the workflow declares limit:int`}},
		{"null for a string", raw("mode", `null`), []string{`input "mode" of workflow "etl" is a JSON null, but the workflow declares mode:string`}},
	} {
		var got []string
		for _, p := range CheckInput("etl", inputs, c.values, "; HINT") {
			got = append(got, p.Msg)
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s: CheckInput =\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	if got := CheckInput("bare", nil, raw("mode", `"x"`), "; HINT"); len(got) != 1 || got[0].Decl != -1 ||
		got[0].Msg != `input key "mode" is not an input of workflow "bare" (it declares no inputs); HINT` {
		t.Errorf("CheckInput without inputs = %+v", got)
	}
}
