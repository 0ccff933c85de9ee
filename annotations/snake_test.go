package annotations

import "testing"

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Extract":       "extract",
		"extract":       "extract",
		"ExtractCSV":    "extract_csv",
		"HTTPServer":    "http_server",
		"loadV2":        "load_v2",
		"LoadV2Data":    "load_v2_data",
		"V2Load":        "v2_load",
		"Load2":         "load2",
		"parseJSONToDB": "parse_json_to_db",
		"load_Data":     "load_data",
		"Load__Data":    "load__data",
		"_private":      "_private",
		"A":             "a",
		"AB":            "ab",
		"ABc":           "a_bc",
		"aB":            "a_b",
		"getHTTP2":      "get_http2",
		"Größe":         "größe",
		"ÜberTask":      "über_task",
		"":              "",
	} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}
