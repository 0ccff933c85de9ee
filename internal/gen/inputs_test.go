package gen_test

import (
	"go/token"
	"testing"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/gen"
)

func TestCheckInput(t *testing.T) {
	decl := token.Position{Filename: "etl.go", Line: 3, Column: 40}
	inputs := []annotations.ContextKey{
		{Name: "mode", Type: annotations.TypeString, Pos: decl},
		{Name: "limit", Type: annotations.TypeInt, Pos: decl},
		{Name: "ratio", Type: annotations.TypeNumber, Pos: decl},
		{Name: "date", Type: annotations.TypeAny, Pos: decl},
	}
	at := token.Position{Filename: "schedule.go", Line: 7, Column: 12}
	for _, c := range []struct {
		input string
		want  []string
	}{
		{`{"mode": "full", "limit": 10, "ratio": 0.5, "date": [2026]}`, nil},
		{`{}`, nil},
		{`{"mdoe": "full"}`, []string{`schedule.go:7:12: input key "mdoe" is not an input of workflow "etl" (inputs: mode, limit, ratio, date); did you mean "mode"?`}},
		{`{"mode": 1, "limit": 1.5, "ratio": "x"}`, []string{
			`schedule.go:7:12: input "limit" of workflow "etl" is the number 1.5, with a fraction or an exponent, but the workflow declares limit:int (at etl.go:3:40)`,
			`schedule.go:7:12: input "mode" of workflow "etl" is a JSON number, but the workflow declares mode:string (at etl.go:3:40)`,
			`schedule.go:7:12: input "ratio" of workflow "etl" is a JSON string, but the workflow declares ratio:number (at etl.go:3:40)`,
		}},
		{`[1]`, []string{`schedule.go:7:12: input of workflow "etl" must be a JSON object of input keys, not a JSON array`}},
		{`{"mode":`, []string{`schedule.go:7:12: input of workflow "etl" is not valid JSON: unexpected EOF`}},
	} {
		got := gen.CheckInput("etl", inputs, []byte(c.input), at)
		var msgs []string
		for _, e := range got {
			if e.Kind != gen.InputError {
				t.Errorf("%s: kind %v", c.input, e.Kind)
			}
			msgs = append(msgs, e.Error())
		}
		if len(msgs) != len(c.want) {
			t.Errorf("CheckInput(%s) = %q, want %q", c.input, msgs, c.want)
			continue
		}
		for i := range msgs {
			if msgs[i] != c.want[i] {
				t.Errorf("CheckInput(%s)[%d] =\n %s\nwant\n %s", c.input, i, msgs[i], c.want[i])
			}
		}
	}
	// A workflow without inputs= accepts no keys.
	got := gen.CheckInput("bare", nil, []byte(`{"mode": "full"}`), at)
	if len(got) != 1 || got[0].Msg != `input key "mode" is not an input of workflow "bare" (it declares no inputs); declare it with inputs= on the //cloacina:workflow` {
		t.Errorf("CheckInput without inputs = %v", got)
	}
}
