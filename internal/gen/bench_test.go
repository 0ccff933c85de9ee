package gen_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/gen"
	"github.com/cloacina-go/cloacina/internal/testgen"
)

// The benchmarks run on a synthetic package of 1,000 tasks:
//
//	go test -run '^$' -bench . -benchtime 10x ./internal/gen
//
// BenchmarkGenerate1000 times the in-process pipeline (gen.Generate).
// BenchmarkCloacinaGenVsVet times the built cloacina-gen command and
// go vet on the same package, alternately in each iteration, and reports
// both and their ratio (target: gen/vet <= 2).

const benchTasks = 1000

var (
	benchOnce sync.Once
	benchPkg  *testgen.Package
	benchErr  error
)

// benchPackage writes the 1,000-task package into the shared module once,
// with its generated file committed, so that every timed run starts from
// an up-to-date package, as go generate and CI see it.
func benchPackage(b *testing.B) (*testgen.Module, *testgen.Package) {
	b.Helper()
	m := sharedModule(b)
	benchOnce.Do(func() {
		benchPkg, benchErr = m.Write(testgen.Spec{Dir: "bench/synth1000", Workflow: "synth1000", Tasks: benchTasks, Seed: 1000, MaxDeps: 4})
		if benchErr != nil {
			return
		}
		var rs []*gen.Result
		rs, benchErr = gen.Generate(context.Background(), &gen.Options{Dir: m.Dir, Env: m.Env()}, "./bench/synth1000")
		if benchErr == nil {
			benchErr = gen.Errors(rs).Err()
		}
		if benchErr == nil {
			benchErr = rs[0].Commit()
		}
		if benchErr == nil {
			// Warm the build cache for both tools.
			_, benchErr = m.Go(context.Background(), "vet", "./bench/synth1000")
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return m, benchPkg
}

func BenchmarkGenerate1000(b *testing.B) {
	m, _ := benchPackage(b)
	opts := &gen.Options{Dir: m.Dir, Env: m.Env()}
	for b.Loop() {
		rs, err := gen.Generate(context.Background(), opts, "./bench/synth1000")
		if err != nil {
			b.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Content == nil {
			b.Fatalf("unexpected results: %v", gen.Errors(rs))
		}
	}
}

func BenchmarkCloacinaGenVsVet(b *testing.B) {
	m, p := benchPackage(b)
	root, err := testgen.ModuleRoot()
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "cloacina-gen")
	build := exec.Command("go", "build", "-o", bin, "./cmd/cloacina-gen")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building cloacina-gen: %v\n%s", err, out)
	}
	runCmd := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Dir = p.Dir
		cmd.Env = m.Env()
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return time.Since(start)
	}
	runCmd(bin) // warm up
	var genTotal, vetTotal time.Duration
	n := 0
	for b.Loop() {
		genTotal += runCmd(bin)
		vetTotal += runCmd("go", "vet", ".")
		n++
	}
	b.ReportMetric(float64(genTotal.Milliseconds())/float64(n), "gen-ms/op")
	b.ReportMetric(float64(vetTotal.Milliseconds())/float64(n), "vet-ms/op")
	b.ReportMetric(float64(genTotal)/float64(vetTotal), "gen/vet")
}
