package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// prompter asks for values on the terminal that standard input is: the
// question goes to out (standard error), the answer is read from the
// terminal a line at a time, a secret without echo.
type prompter struct {
	tty *os.File
	out io.Writer
}

// terminal returns a prompter when standard input is a terminal, else nil:
// httpstep never prompts a pipe or a file.
func (c *cli) terminal() *prompter {
	f, ok := c.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &prompter{tty: f, out: c.stderr}
}

// errNoAnswer is the input ending (Ctrl-D) before an answer.
var errNoAnswer = errors.New("the input ended before an answer")

// ask asks for ref, showing def as the answer that Enter keeps.
func (p *prompter) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	line, err := p.readLine()
	if err != nil {
		return "", err
	}
	if line == "" {
		return def, nil
	}
	return line, nil
}

// askSecret asks for a secret without echoing what is typed.
func (p *prompter) askSecret(question string) (string, error) {
	fmt.Fprintf(p.out, "%s (secret, not shown): ", question)
	b, err := term.ReadPassword(int(p.tty.Fd()))
	fmt.Fprintln(p.out)
	if err != nil {
		return "", fmt.Errorf("reading a secret: %w", err)
	}
	return string(b), nil
}

// readLine reads one line, a byte at a time so that nothing typed after it
// is taken from the terminal, without its line end.
func (p *prompter) readLine() (string, error) {
	var line []byte
	buf := make([]byte, 1)
	for {
		n, err := p.tty.Read(buf)
		if n == 1 && buf[0] == '\n' {
			return strings.TrimSuffix(string(line), "\r"), nil
		}
		if n == 1 {
			line = append(line, buf[0])
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errNoAnswer
			}
			return "", err
		}
	}
}
