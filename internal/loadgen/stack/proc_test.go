package stack

import (
	"os"
	"testing"
	"time"
)

func TestCPUFromStat(t *testing.T) {
	// Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
	line := "1234 (text desk) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0"
	got, err := cpuFromStat(line)
	if err != nil || got != 3*time.Second {
		t.Fatalf("cpuFromStat = %v, %v; want 3s", got, err)
	}
	if _, err := cpuFromStat("garbage"); err == nil {
		t.Fatal("garbage accepted")
	}
}

func TestReadUsageSelf(t *testing.T) {
	u, err := ReadUsage(os.Getpid())
	if err != nil || u.RSS <= 0 {
		t.Fatalf("ReadUsage(self) = %+v, %v", u, err)
	}
}
