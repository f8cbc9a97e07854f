// Upstream's end-to-end test binary, e2e.test, as a test package of ours:
// the release's k8s.io/kubernetes/test/e2e package is importable, its
// e2e_test.go (which holds TestMain and the list of test sources) is not, so
// this file does what that one does in the pinned release: it links the same
// test sources and framework set-up, parses the same flags and runs the
// suite through e2e.RunE2ETests. `go test -c` of it gives e2e.test.
//
// Left out: the hooks that feed --progress-report-url spec by spec
// (upstream's reporter is unexported; its start and end messages still go out).
//
// The go.mod next to this file is generated at build time from the pinned
// k8s.io/kubernetes release (clusters/binaries/go-build.ts), never committed.
package e2e

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/onsi/ginkgo/v2"
	yaml "go.yaml.in/yaml/v2"

	"k8s.io/component-base/version"
	conformancetestdata "k8s.io/kubernetes/test/conformance/testdata"
	upstream "k8s.io/kubernetes/test/e2e"
	"k8s.io/kubernetes/test/e2e/framework"
	"k8s.io/kubernetes/test/e2e/framework/config"
	"k8s.io/kubernetes/test/e2e/framework/testfiles"
	e2etestingmanifests "k8s.io/kubernetes/test/e2e/testing-manifests"
	testfixtures "k8s.io/kubernetes/test/fixtures"

	_ "k8s.io/kubernetes/test/e2e/feature"

	// The test sources upstream's e2e.test links.
	_ "k8s.io/kubernetes/test/e2e/apimachinery"
	_ "k8s.io/kubernetes/test/e2e/apps"
	_ "k8s.io/kubernetes/test/e2e/architecture"
	_ "k8s.io/kubernetes/test/e2e/auth"
	_ "k8s.io/kubernetes/test/e2e/autoscaling"
	_ "k8s.io/kubernetes/test/e2e/cloud"
	_ "k8s.io/kubernetes/test/e2e/common"
	_ "k8s.io/kubernetes/test/e2e/dra"
	_ "k8s.io/kubernetes/test/e2e/instrumentation"
	_ "k8s.io/kubernetes/test/e2e/invariants"
	"k8s.io/kubernetes/test/e2e/invariants/logcheck"
	_ "k8s.io/kubernetes/test/e2e/kubectl"
	_ "k8s.io/kubernetes/test/e2e/lifecycle"
	_ "k8s.io/kubernetes/test/e2e/lifecycle/bootstrap"
	_ "k8s.io/kubernetes/test/e2e/network"
	_ "k8s.io/kubernetes/test/e2e/node"
	_ "k8s.io/kubernetes/test/e2e/scheduling"
	_ "k8s.io/kubernetes/test/e2e/storage"
	_ "k8s.io/kubernetes/test/e2e/storage/csimock"
	_ "k8s.io/kubernetes/test/e2e/storage/external" // --storage.testdriver
	_ "k8s.io/kubernetes/test/e2e/windows"

	// The framework's own set-up, as upstream reconfigures it.
	_ "k8s.io/kubernetes/test/e2e/framework/debug/init"
	_ "k8s.io/kubernetes/test/e2e/framework/metrics/init"
	_ "k8s.io/kubernetes/test/e2e/framework/node/init"
	_ "k8s.io/kubernetes/test/utils/format"
)

func TestMain(m *testing.M) {
	showVersion := flag.CommandLine.Bool("version", false, "Displays version information.")
	listConformance := flag.CommandLine.Bool("list-conformance-tests", false, "If true, will show list of conformance tests.")
	config.CopyFlags(config.Flags, flag.CommandLine)
	framework.RegisterCommonFlags(flag.CommandLine)
	framework.RegisterClusterFlags(flag.CommandLine)
	logcheck.RegisterFlags(flag.CommandLine)
	flag.Parse()

	if *showVersion {
		fmt.Println(version.Get())
		os.Exit(0)
	}
	if flag.CommandLine.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "unknown additional command line arguments: %s", flag.CommandLine.Args())
		os.Exit(1)
	}

	// Manifests and fixtures come from the binary itself.
	testfiles.AddFileSource(e2etestingmanifests.GetE2ETestingManifestsFS())
	testfiles.AddFileSource(testfixtures.GetTestFixturesFS())
	testfiles.AddFileSource(conformancetestdata.GetConformanceTestdataFS())

	if *listConformance {
		if err := printConformanceTests(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}

	framework.AfterReadingAllFlags(&framework.TestContext)
	if framework.TestContext.RepoRoot != "" {
		testfiles.AddFileSource(testfiles.RootFileSource{Root: framework.TestContext.RepoRoot})
	}
	os.Exit(m.Run())
}

func printConformanceTests() error {
	data, err := testfiles.Read("test/conformance/testdata/conformance.yaml")
	if err != nil {
		return err
	}
	var tests []struct {
		Testname    string `yaml:"testname"`
		Codename    string `yaml:"codename"`
		Description string `yaml:"description"`
		Release     string `yaml:"release"`
		File        string `yaml:"file"`
	}
	if err := yaml.Unmarshal(data, &tests); err != nil {
		return err
	}
	return yaml.NewEncoder(os.Stdout).Encode(tests)
}

func TestE2E(t *testing.T) {
	upstream.RunE2ETests(t)
}

// --spec-dump: every spec's report, one JSON object a line, after the suite.
var _ = ginkgo.ReportAfterSuite("Kubernetes e2e suite report", func(report ginkgo.Report) {
	if framework.TestContext.SpecSummaryOutput == "" {
		return
	}
	path, err := filepath.Abs(framework.TestContext.SpecSummaryOutput)
	framework.ExpectNoError(err)
	out, err := os.Create(path)
	framework.ExpectNoError(err)
	defer out.Close()
	for _, spec := range report.SpecReports {
		line, err := spec.MarshalJSON()
		framework.ExpectNoError(err)
		_, err = fmt.Fprintf(out, "%s\n", line)
		framework.ExpectNoError(err)
	}
})
