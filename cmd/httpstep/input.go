package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// stdinName is how messages name standard input.
const stdinName = "standard input"

// readInput reads the file path, or standard input when path is "-". It
// returns the name to use in messages.
func (c *cli) readInput(path string) (data []byte, name string, err error) {
	if path == "-" {
		data, err = io.ReadAll(c.stdin)
		if err != nil {
			return nil, stdinName, fmt.Errorf("httpstep: reading %s: %w", stdinName, err)
		}
		return data, stdinName, nil
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, path, fmt.Errorf("httpstep: %w", err)
	}
	return data, path, nil
}

// jsonError says where in data a JSON decoding error is, as name:line:col,
// so the person fixing the file can find the spot.
func jsonError(name string, data []byte, err error) error {
	off, msg := jsonFault(data, err)
	if off < 0 {
		return fmt.Errorf("httpstep: %s: %s", name, msg)
	}
	line, col := position(data, off)
	return fmt.Errorf("httpstep: %s:%d:%d: %s", name, line, col, msg)
}

// jsonLineError is jsonError for data that is line number line of the file
// name (a JSON Lines row): one position, name:line:col.
func jsonLineError(name string, line int, data []byte, err error) error {
	off, msg := jsonFault(data, err)
	if off < 0 {
		return fmt.Errorf("httpstep: %s:%d: %s", name, line, msg)
	}
	_, col := position(data, off)
	return fmt.Errorf("httpstep: %s:%d:%d: %s", name, line, col, msg)
}

// jsonFault is the byte offset in data a JSON decoding error points at (-1
// when none) and the error in words.
func jsonFault(data []byte, err error) (int64, string) {
	msg := ownWords(err)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return syn.Offset - 1, msg // the offending byte
	case len(bytes.TrimSpace(data)) == 0:
		return -1, "it is empty, but must hold JSON"
	case errors.As(err, &typ):
		return typ.Offset, msg
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return int64(len(data)), "the JSON ends too early: check for a missing } or ]"
	}
	return -1, msg
}

// ownWords is err's text for a sentence of the tool's own, which says
// "httpstep: " itself: the library's message when err is one of its errors
// (they give it, without their prefix, through Message), else the text of
// encoding/json's error without its "json: ".
func ownWords(err error) string {
	var m interface{ Message() string }
	if errors.As(err, &m) {
		return m.Message()
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// position converts a byte offset to a 1-based line and column.
func position(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// errTrailing is the error for text after the JSON value.
var errTrailing = errors.New("there is more after the first JSON value: remove it")

// decodeOne decodes exactly one JSON value from data into v, numbers as
// json.Number. (Node files are read by httpstep.ParseNode.)
func decodeOne(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing
	}
	return nil
}
