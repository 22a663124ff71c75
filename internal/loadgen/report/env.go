package report

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Environment describes where and with what a run happened, for the report's header.
// Each probe that fails is reported as "?" rather than failing the run.
func Environment(temporalBin string) [][2]string {
	return [][2]string{
		{"date", time.Now().UTC().Format("2006-01-02 15:04 UTC")},
		{"machine", Machine()},
		{"go", runtime.Version()},
		{"textdesk", command("git", "describe", "--always", "--dirty")},
		{"temporal dev server", firstLine(command(temporalBin, "--version"))},
		{"twilio-go / temporal sdk", "see go.mod (v1.31.0 / v1.50.0 at the time of writing)"},
	}
}

// Machine describes the computer: OS/architecture, CPUs and their model, memory, kernel.
func Machine() string {
	model := "?"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := "?"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		mem = firstLine(string(b))
		mem = strings.Join(strings.Fields(strings.TrimPrefix(mem, "MemTotal:")), " ")
	}
	return strings.Join([]string{runtime.GOOS + "/" + runtime.GOARCH, strconv.Itoa(runtime.NumCPU()) + " CPUs", model, "RAM " + mem,
		"kernel " + command("uname", "-r")}, ", ")
}

func command(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(l)
}
