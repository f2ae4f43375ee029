// gowinrm: the Go WinRM client (github.com/masterzen/winrm, Debian's
// golang-github-masterzen-winrm-dev) as a peer for the benchmarks. Runs one
// command in a cmd shell and copies its stdout and stderr to its own; its
// exit status is the command's.
//
//	WRSH_PASSWORD=... gowinrm -host H -port P [-https] [-cacert F | -insecure]
//	    [-auth basic|ntlm] -user U COMMAND [ARG...]
//
// The password comes from WRSH_PASSWORD only, never from the command line.
// Auth "basic" is the library's default transport; "ntlm" is its ClientNTLM
// (Azure/go-ntlmssp's Negotiator): NTLM authentication only, bodies are never
// sealed, so a server with AllowUnencrypted=false refuses it over plain HTTP.
//
// Build (GOPATH mode, Debian's sources, no network):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o gowinrm ./tests/bench/gowinrm
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"os"
	"sync"

	"github.com/masterzen/winrm"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "gowinrm: "+format+"\n", a...)
	os.Exit(255)
}

func main() {
	host := flag.String("host", "127.0.0.1", "host")
	port := flag.Int("port", 5985, "port")
	https := flag.Bool("https", false, "TLS")
	insecure := flag.Bool("insecure", false, "no TLS verification")
	cacert := flag.String("cacert", "", "trusted CA (PEM)")
	user := flag.String("user", "", "user")
	auth := flag.String("auth", "basic", "basic or ntlm")
	flag.Parse()
	if flag.NArg() < 1 || *user == "" {
		fmt.Fprintln(os.Stderr, "usage: gowinrm -host H -port P [-https] [-cacert F|-insecure] [-auth basic|ntlm] -user U COMMAND [ARG...]")
		os.Exit(2)
	}
	password, ok := os.LookupEnv("WRSH_PASSWORD")
	if !ok {
		fail("set WRSH_PASSWORD")
	}
	var ca []byte
	if *cacert != "" {
		var err error
		if ca, err = ioutil.ReadFile(*cacert); err != nil {
			fail("%v", err)
		}
	}
	endpoint := winrm.NewEndpoint(*host, *port, *https, *insecure, ca, nil, nil, 0)
	params := *winrm.DefaultParameters
	switch *auth {
	case "basic":
	case "ntlm":
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	default:
		fail("unknown auth %q", *auth)
	}
	client, err := winrm.NewClientWithParameters(endpoint, *user, password, &params)
	if err != nil {
		fail("%v", err)
	}

	// Client.Run takes one command line; Execute keeps the arguments apart,
	// as wrsh and pywinrm send them.
	shell, err := client.CreateShell()
	if err != nil {
		fail("%v", err)
	}
	cmd, err := shell.Execute(flag.Arg(0), flag.Args()[1:]...)
	if err != nil {
		shell.Close()
		fail("%v", err)
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	var wg sync.WaitGroup
	var outErr, errErr error
	wg.Add(2)
	go func() { defer wg.Done(); _, outErr = io.Copy(out, cmd.Stdout) }()
	go func() { defer wg.Done(); _, errErr = io.Copy(os.Stderr, cmd.Stderr) }()
	cmd.Wait()
	wg.Wait()
	if err := out.Flush(); err != nil && outErr == nil {
		outErr = err
	}
	cmd.Close() // the library's Signal (terminate) request
	if err := shell.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "gowinrm: %v\n", err)
	}
	// a failed Receive closes the output pipes with its error and leaves
	// the exit code at 0
	for _, e := range []error{outErr, errErr} {
		if e != nil {
			fail("%v", e)
		}
	}
	os.Exit(cmd.ExitCode())
}
