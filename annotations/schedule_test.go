package annotations

import (
	"testing"
	"time"
)

func buildSchedule(t *testing.T, lines ...string) (*Schedule, []string) {
	t.Helper()
	dirs, errs := parseLines(lines...)
	sc, e := BuildSchedule(dirs...)
	errs = append(errs, e...)
	errs.Sort()
	return sc, short(t, errs)
}

func buildTrigger(t *testing.T, lines ...string) (*Trigger, []string) {
	t.Helper()
	dirs, errs := parseLines(lines...)
	tr, e := BuildTrigger("NewFiles", dirs...)
	errs = append(errs, e...)
	errs.Sort()
	return tr, short(t, errs)
}

func TestBuildScheduleFull(t *testing.T) {
	sc, errs := buildSchedule(t,
		"//cloacina:schedule workflow=etl cron=\"0 2 * * *\" timezone=Europe/Berlin catchup=all max_catchup=5",
		"//cloacina:schedule overlap=buffer input=`{\"mode\": \"full\"}` start=2026-01-01T00:00:00Z end=\"2027-01-01T00:00:00+01:00\"",
		"//cloacina:schedule jitter=30s paused=true name=nightly")
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if sc.Name != "nightly" || sc.Workflow != "etl" || sc.Cron != "0 2 * * *" || sc.Expr == nil ||
		sc.Timezone != "Europe/Berlin" || sc.Catchup != "all" || sc.MaxCatchup != 5 || sc.Overlap != "buffer" ||
		string(sc.Input) != `{"mode":"full"}` || !sc.Start.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) ||
		!sc.End.Equal(time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC)) || sc.Jitter != 30*time.Second || !sc.Paused {
		t.Errorf("schedule = %+v", sc)
	}
	want := `catchup=all cron="0 2 * * *" end="2027-01-01T00:00:00+01:00" input="{\"mode\":\"full\"}" jitter=30s max_catchup=5 name=nightly overlap=buffer paused=true start="2026-01-01T00:00:00Z" timezone="Europe/Berlin" workflow=etl`
	if sc.Canonical != want {
		t.Errorf("Canonical =\n%s\nwant\n%s", sc.Canonical, want)
	}
}

func TestBuildScheduleDefaults(t *testing.T) {
	sc, errs := buildSchedule(t, "//cloacina:schedule workflow=etl cron=@daily")
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if sc.Name != "" || sc.Timezone != "UTC" || sc.Catchup != DefaultCatchup || sc.MaxCatchup != 100 ||
		sc.Overlap != DefaultOverlap || sc.Input != nil || sc.Paused || sc.Jitter != 0 {
		t.Errorf("schedule = %+v", sc)
	}
}

func TestBuildScheduleErrors(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"//cloacina:schedule cron=@daily", []string{`3:1: missing required key "workflow" for //cloacina:schedule`}},
		{"//cloacina:schedule workflow=etl", []string{`3:1: missing required key "cron" for //cloacina:schedule; e.g. cron="0 2 * * *" or cron=@daily`}},
		{`//cloacina:schedule workflow=etl cron="0 2 * *"`, []string{`3:39: cron: expected 5 to 6 fields, found 4: [0 2 * *]; write 5 fields (minute hour day month weekday) or 6 with seconds first`}},
		{`//cloacina:schedule workflow=etl cron=@daily timezone=europe/berlin`, []string{`3:55: timezone: "europe/berlin" is not an IANA time zone name; did you mean "Europe/Berlin"?`}},
		{`//cloacina:schedule workflow=etl cron=@daily timezone=Mars/Olympus`, []string{`3:55: timezone: "Mars/Olympus" is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York)`}},
		{"//cloacina:schedule workflow=etl cron=@daily input=`[1]`", []string{`3:52: input: must be a JSON object such as {"mode":"full"}, not an array`}},
		{"//cloacina:schedule workflow=etl cron=@daily input=`{\"a\":`", []string{`3:52: input: not valid JSON: unexpected EOF`}},
		{`//cloacina:schedule workflow=etl cron=@daily catchup=lastest`, []string{`3:54: catchup: "lastest" is not skip, latest or all; did you mean "latest"?`}},
		{`//cloacina:schedule workflow=etl cron=@daily max_catchup=3`, []string{`3:46: max_catchup applies only to catchup=all`}},
		{`//cloacina:schedule workflow=etl cron=@daily start=2026-02-01T00:00:00Z end=2026-01-01T00:00:00Z`, []string{`3:77: end (2026-01-01T00:00:00Z) must be after start (2026-02-01T00:00:00Z)`}},
		{`//cloacina:schedule workflow=etl cron=@daily start=tomorrow`, []string{`3:52: start: "tomorrow" is not an RFC 3339 time (e.g. 2026-01-31T02:00:00Z or 2026-01-31T02:00:00+01:00)`}},
		{`//cloacina:schedule workflow=etl cron=@daily jitter=-1s`, []string{`3:53: jitter: must not be negative, got -1s`}},
		{`//cloacina:schedule workflow=etl cron=@daily cadence=5`, []string{`3:46: unknown key "cadence" for //cloacina:schedule; valid keys: name, workflow, cron, timezone, catchup, max_catchup, overlap, input, start, end, jitter, paused`}},
	} {
		_, errs := buildSchedule(t, tc.line)
		if !equalStrings(errs, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.line, errs, tc.want)
		}
	}
}

func TestBuildTrigger(t *testing.T) {
	tr, errs := buildTrigger(t, "//cloacina:trigger workflow=ingest poll=30s")
	if len(errs) > 0 {
		t.Fatalf("errors: %q", errs)
	}
	if tr.Name != "new_files" || tr.Workflow != "ingest" || tr.Poll != 30*time.Second || tr.Timeout != 0 || tr.Concurrency != "forbid" {
		t.Errorf("trigger = %+v", tr)
	}
	tr, errs = buildTrigger(t, "//cloacina:trigger workflow=ingest poll=1m timeout=10s concurrency=allow name=files")
	if len(errs) > 0 || tr.Name != "files" || tr.Timeout != 10*time.Second || tr.Concurrency != "allow" {
		t.Errorf("trigger = %+v, errors %q", tr, errs)
	}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"//cloacina:trigger workflow=ingest", []string{`3:1: missing required key "poll" for //cloacina:trigger; e.g. poll=30s`}},
		{"//cloacina:trigger workflow=ingest poll=0s", []string{`3:41: poll: must be positive, got 0s`}},
		{"//cloacina:trigger workflow=ingest poll=1s concurrency=never", []string{`3:56: concurrency: "never" is not forbid or allow`}},
	} {
		_, errs := buildTrigger(t, tc.line)
		if !equalStrings(errs, tc.want) {
			t.Errorf("%s\n got %q\nwant %q", tc.line, errs, tc.want)
		}
	}
}

func TestParseFileSchedulesAndTriggers(t *testing.T) {
	out, errs := parseSrc(t, "package p\n\n"+
		"//cloacina:schedule workflow=etl cron=@daily\n\n"+
		"// NewFiles looks for files.\n//\n//cloacina:trigger workflow=ingest poll=5s\nfunc NewFiles() {}\n\n"+
		"// F is a function.\n//\n//cloacina:schedule workflow=etl cron=@daily\nfunc F() {}\n\n"+
		"//cloacina:trigger workflow=ingest poll=5s\n")
	want := []string{
		`12:1: //cloacina:schedule in the doc comment of func F; separate it from the declaration with a blank line`,
		`15:1: //cloacina:trigger is not attached to a function; put it directly above a top-level func, with no blank line between`,
	}
	if !equalStrings(errs, want) {
		t.Errorf("errors:\n got %q\nwant %q", errs, want)
	}
	if len(out.Schedules) != 1 || out.Schedules[0].Workflow != "etl" {
		t.Errorf("schedules = %+v", out.Schedules)
	}
	if len(out.Triggers) != 1 || out.Triggers[0].Func == nil || out.Triggers[0].Name != "new_files" {
		t.Errorf("triggers = %+v", out.Triggers)
	}
}
