package curl

import (
	"strings"

	"github.com/httpstep/httpstep"
)

// This file reads the values of -F/--form as curl 7.88 does: a value, or a
// file (@path, <path), then ;type= and ;filename= parameters.

func (c *curlCmd) addForm(flag, v string) error       { return c.addFormField(flag, v, false) }
func (c *curlCmd) addFormString(flag, v string) error { return c.addFormField(flag, v, true) }

// addFormField reads -F name=value, name=@file, name=<file, each with
// optional ;type= and ;filename=, or with literal (--form-string)
// name=anything.
func (c *curlCmd) addFormField(flag, v string, literal bool) error {
	name, content, ok := strings.Cut(v, "=")
	switch {
	case !ok:
		return curlErrorf("%s %q has no '=': write it as %s 'name=value', or name=@file for a file", flag, v, flag)
	case literal:
		c.form = append(c.form, httpstep.FormField{Key: name, Value: content})
		return nil
	case strings.HasPrefix(content, "("):
		return curlErrorf("%s %q starts a nested multipart, which cannot be imported: build the form on the node by hand", flag, v)
	}
	field := httpstep.FormField{Key: name}
	isFile := strings.HasPrefix(content, "@") || strings.HasPrefix(content, "<")
	if isFile {
		content = content[1:]
	}
	value, params := formWord(content)
	if err := c.formParams(flag, v, params, &field); err != nil {
		return err
	}
	if isFile {
		c.files++
		field.File = fileRef(c.files)
	} else {
		field.Value = value
	}
	c.form = append(c.form, field)
	return nil
}

const formBlanks = " \t\n\r\v\f"

// formWord reads a word of a -F value: a "quoted" word with \" and \\
// escapes, or the text up to the first ';', without surrounding blanks.
// rest is what follows, from the ';' that starts the parameters.
func formWord(s string) (word, rest string) {
	s = strings.TrimLeft(s, formBlanks)
	if q, ok := strings.CutPrefix(s, `"`); ok {
		var b strings.Builder
		for i := 0; i < len(q); i++ {
			switch {
			case q[i] == '\\' && i+1 < len(q) && (q[i+1] == '\\' || q[i+1] == '"'):
				i++
				b.WriteByte(q[i])
			case q[i] == '"':
				after := q[i+1:]
				if j := strings.IndexByte(after, ';'); j >= 0 {
					return b.String(), after[j:]
				}
				return b.String(), ""
			default:
				b.WriteByte(q[i])
			}
		}
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		return strings.TrimRight(s[:i], formBlanks), s[i:]
	}
	return strings.TrimRight(s, formBlanks), ""
}

// formParams reads the ;type= and ;filename= parameters into f. A type
// runs to the next ;filename=, ;headers= or ;encoder= (so "text/plain;
// charset=utf-8" stays whole), as in curl; ;headers= and ;encoder= cannot be
// imported; other parameters are skipped, as curl skips them.
func (c *curlCmd) formParams(flag, v, params string, f *httpstep.FormField) error {
	for strings.HasPrefix(params, ";") {
		p := strings.TrimLeft(params[1:], formBlanks)
		switch {
		case f.ContentType == "" && strings.HasPrefix(p, "type="):
			end := formTypeEnd(p)
			f.ContentType, params = strings.TrimSpace(p[len("type="):end]), p[end:]
		case strings.HasPrefix(p, "filename="):
			f.Filename, params = formWord(p[len("filename="):])
		case strings.HasPrefix(p, "headers="), strings.HasPrefix(p, "encoder="):
			return curlErrorf("%s %q sets part headers or an encoder, which cannot be imported: remove the ;%s parameter and set the part on the node by hand", flag, v, p[:strings.IndexByte(p, '=')])
		default:
			_, params = formWord(p)
		}
	}
	return nil
}

// formTypeEnd is where the ;type= value at the start of p ends.
func formTypeEnd(p string) int {
	for i := 0; i < len(p); i++ {
		if p[i] != ';' {
			continue
		}
		next := strings.TrimLeft(p[i+1:], formBlanks)
		for _, key := range []string{"filename=", "headers=", "encoder="} {
			if strings.HasPrefix(next, key) {
				return i
			}
		}
	}
	return len(p)
}
