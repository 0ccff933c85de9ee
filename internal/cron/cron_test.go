package cron

import (
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fires lists the first n fire times after from, formatted in loc.
func fires(t *testing.T, expr string, loc *time.Location, from time.Time, n int) []string {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	var out []string
	at := from
	for range n {
		at = e.Next(at, loc, time.Time{})
		if at.IsZero() {
			out = append(out, "never")
			break
		}
		out = append(out, at.In(loc).Format("2006-01-02 15:04:05 MST"))
	}
	return out
}

func check(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("fires:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDailyInZone(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	from := time.Date(2026, 6, 1, 12, 0, 0, 0, berlin)
	check(t, fires(t, "0 2 * * *", berlin, from, 2), "2026-06-02 02:00:00 CEST", "2026-06-03 02:00:00 CEST")
}

func TestGapFiresOnceAfterTheGap(t *testing.T) {
	for _, tc := range []struct {
		zone, expr string
		from       time.Time
		want       []string
	}{
		// Berlin: 2026-03-29 02:00 CET becomes 03:00 CEST.
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC),
			[]string{"2026-03-29 03:00:00 CEST", "2026-03-30 02:30:00 CEST"}},
		// Several times in one gap make one fire.
		{"Europe/Berlin", "*/15 2 * * *", time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC),
			[]string{"2026-03-29 03:00:00 CEST", "2026-03-30 02:00:00 CEST"}},
		// New York: 2026-03-08 02:00 EST becomes 03:00 EDT.
		{"America/New_York", "30 2 * * *", time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC),
			[]string{"2026-03-08 03:00:00 EDT", "2026-03-09 02:30:00 EDT"}},
	} {
		loc := mustLoad(t, tc.zone)
		check(t, fires(t, tc.expr, loc, tc.from, len(tc.want)), tc.want...)
	}
}

func TestRepeatedTimeFiresOnce(t *testing.T) {
	for _, tc := range []struct {
		zone, expr string
		from       time.Time
		want       []string
	}{
		// Berlin: 2026-10-25 03:00 CEST becomes 02:00 CET; 02:30 occurs twice.
		{"Europe/Berlin", "30 2 * * *", time.Date(2026, 10, 24, 12, 0, 0, 0, time.UTC),
			[]string{"2026-10-25 02:30:00 CEST", "2026-10-26 02:30:00 CET"}},
		// Hourly: the repeated hour fires once.
		{"Europe/Berlin", "0 * * * *", time.Date(2026, 10, 24, 23, 30, 0, 0, time.UTC),
			[]string{"2026-10-25 02:00:00 CEST", "2026-10-25 03:00:00 CET", "2026-10-25 04:00:00 CET"}},
		// New York: 2026-11-01 02:00 EDT becomes 01:00 EST.
		{"America/New_York", "30 1 * * *", time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC),
			[]string{"2026-11-01 01:30:00 EDT", "2026-11-02 01:30:00 EST"}},
		{"America/New_York", "0 * * * *", time.Date(2026, 11, 1, 4, 30, 0, 0, time.UTC),
			[]string{"2026-11-01 01:00:00 EDT", "2026-11-01 02:00:00 EST"}},
	} {
		loc := mustLoad(t, tc.zone)
		check(t, fires(t, tc.expr, loc, tc.from, len(tc.want)), tc.want...)
	}
}

func TestNextFromInsideTheRepeatedHour(t *testing.T) {
	// A runner that starts during the second 02:xx of Berlin's fall-back
	// night does not fire 02:30 again.
	berlin := mustLoad(t, "Europe/Berlin")
	from := time.Date(2026, 10, 25, 1, 10, 0, 0, time.UTC) // 02:10 CET, the second time
	check(t, fires(t, "30 2 * * *", berlin, from, 1), "2026-10-26 02:30:00 CET")
}

func TestForms(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // a Thursday
	check(t, fires(t, "@daily", time.UTC, from, 2), "2026-01-02 00:00:00 UTC", "2026-01-03 00:00:00 UTC")
	check(t, fires(t, "@hourly", time.UTC, from, 1), "2026-01-01 01:00:00 UTC")
	check(t, fires(t, "@weekly", time.UTC, from, 1), "2026-01-04 00:00:00 UTC")
	check(t, fires(t, "@monthly", time.UTC, from, 1), "2026-02-01 00:00:00 UTC")
	check(t, fires(t, "@yearly", time.UTC, from, 1), "2027-01-01 00:00:00 UTC")
	check(t, fires(t, "*/20 * * * * *", time.UTC, from, 3), "2026-01-01 00:00:20 UTC", "2026-01-01 00:00:40 UTC", "2026-01-01 00:01:00 UTC")
	check(t, fires(t, "0 9 * JAN-MAR MON-FRI", time.UTC, from, 2), "2026-01-01 09:00:00 UTC", "2026-01-02 09:00:00 UTC")
	// Both day fields restricted: either matches (the 10th, and Mondays).
	check(t, fires(t, "0 0 10 * MON", time.UTC, from, 3), "2026-01-05 00:00:00 UTC", "2026-01-10 00:00:00 UTC", "2026-01-12 00:00:00 UTC")
	// One of them "*": both must match.
	check(t, fires(t, "0 0 * * MON", time.UTC, from, 1), "2026-01-05 00:00:00 UTC")
}

func TestEveryIsAnchored(t *testing.T) {
	e, err := Parse("@every 10s")
	if err != nil {
		t.Fatal(err)
	}
	if e.Every() != 10*time.Second {
		t.Fatalf("Every() = %s", e.Every())
	}
	at := time.Date(2026, 1, 1, 0, 0, 3, 500, time.UTC)
	if got, want := e.Next(at, time.UTC, time.Time{}), time.Date(2026, 1, 1, 0, 0, 10, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Next from epoch anchor = %s, want %s", got, want)
	}
	anchor := time.Date(2026, 1, 1, 0, 0, 7, 0, time.UTC)
	if got, want := e.Next(at, time.UTC, anchor), anchor; !got.Equal(want) {
		t.Errorf("Next before anchor = %s, want %s", got, want)
	}
	if got, want := e.Next(anchor, time.UTC, anchor), anchor.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("Next at anchor = %s, want %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "empty expression"},
		{"0 2 * *", "write 5 fields"},
		{"61 * * * *", "61"},
		{"@dayly", "descriptors are @yearly"},
		{"@every soon", `"soon" is not a Go duration`},
		{"@every 500ms", "at least 1s"},
		{"TZ=UTC 0 2 * * *", "set timezone= instead"},
		{"0 2 * * * * *", "write 5 fields"},
	} {
		_, err := Parse(tc.expr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.expr, err, tc.want)
		}
	}
}

func TestParseErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"0 25 * * *", `hour field "25": end of range (25) above maximum (23)`},
		{"*/10 61 * * * *", `minute field "61": end of range (61) above maximum (59)`},
		{"0 0 30 2 *", `"0 0 30 2 *" matches no date (such as February 30), so it would never fire`},
	} {
		_, err := Parse(tc.expr)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) = %v, want %q", tc.expr, err, tc.want)
		}
	}
	if _, err := Parse("0 0 29 2 *"); err != nil {
		t.Errorf("a leap-day schedule was refused: %v", err)
	}
}
