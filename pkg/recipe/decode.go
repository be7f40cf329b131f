package recipe

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileError is a problem at a place in a recipe, config or apt sources file.
// Its text is "file:line: what was expected", the form DESIGN §9 asks of
// every message about bad input.
type FileError struct {
	File string
	Line int // 0 when the problem has no single line
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// nodeIndex remembers where each value of a YAML document sits, so that
// checks made after decoding can still name a line.
type nodeIndex struct {
	file   string
	keys   map[string]int // path → line of its key
	lines  map[string]int // path → line of its value (list items have no key)
	values []nodeAt       // every value node, in document order
}

type nodeAt struct {
	path string
	line int
	tag  string
}

func indexNodes(file string, root *yaml.Node) *nodeIndex {
	ix := &nodeIndex{file: file, keys: map[string]int{}, lines: map[string]int{}}
	ix.walk(root, "")
	return ix
}

func (ix *nodeIndex) walk(n *yaml.Node, path string) {
	if _, seen := ix.lines[path]; !seen && n.Kind != yaml.DocumentNode {
		ix.lines[path] = n.Line
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			ix.walk(c, path)
		}
		return
	case yaml.MappingNode:
		ix.values = append(ix.values, nodeAt{path, n.Line, n.ShortTag()})
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			if _, dup := ix.keys[p]; !dup {
				ix.keys[p] = k.Line
			}
			ix.walk(v, p)
		}
	case yaml.SequenceNode:
		ix.values = append(ix.values, nodeAt{path, n.Line, n.ShortTag()})
		for i, c := range n.Content {
			ix.walk(c, fmt.Sprintf("%s[%d]", path, i))
		}
	default: // scalars, and aliases, which are not followed so that cycles end
		ix.values = append(ix.values, nodeAt{path, n.Line, n.ShortTag()})
	}
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// line is the line of the first path that the document has, trying each in
// turn: callers pass the field itself, then its parents, so that a missing
// field is reported where it belongs.
func (ix *nodeIndex) line(paths ...string) int {
	if ix == nil {
		return 0
	}
	for _, p := range paths {
		if l, ok := ix.keys[p]; ok {
			return l
		}
		if l, ok := ix.lines[p]; ok {
			return l
		}
	}
	return 1
}

// errorf makes a FileError at the line of the first path found.
func (ix *nodeIndex) errorf(paths []string, format string, args ...any) *FileError {
	return &FileError{File: ix.file, Line: ix.line(paths...), Msg: fmt.Sprintf(format, args...)}
}

// errEmpty reports a file with no YAML document in it.
var errEmpty = errors.New("empty document")

// decodeStrict decodes one YAML document into out, refusing unknown fields,
// and turns yaml.v3's messages into FileErrors that name the file, the line
// and what was expected.
func decodeStrict(file string, data []byte, out any) (ix *nodeIndex, err error) {
	// yaml.v3 reports most failures as errors, but some malformed input has
	// made it panic in the past; a recipe is user input, so never crash on it.
	defer func() {
		if p := recover(); p != nil {
			err = &FileError{File: file, Msg: fmt.Sprintf("not valid YAML (%v)", p)}
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, translateYAMLError(file, nil, err)
	}
	ix = indexNodes(file, &root)
	if root.Kind == 0 {
		return ix, errEmpty
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return ix, translateYAMLError(file, ix, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return ix, nil
	case err != nil:
		return ix, translateYAMLError(file, ix, err)
	default:
		return ix, &FileError{File: file, Line: extra.Line, Msg: "a second YAML document (---); expected one"}
	}
}

var (
	reLine       = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reUnknown    = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	reWrongType  = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `.*`)? into (.+)$")
	reDuplicated = regexp.MustCompile(`^mapping key "(.*)" already defined at line (\d+)$`)
)

func translateYAMLError(file string, ix *nodeIndex, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return translateYAMLMessage(file, ix, err.Error())
	}
	var errs []error
	for _, msg := range te.Errors {
		errs = append(errs, translateYAMLMessage(file, ix, msg))
	}
	return joinErrors(file, errs)
}

func translateYAMLMessage(file string, ix *nodeIndex, msg string) *FileError {
	m := reLine.FindStringSubmatch(msg)
	if m == nil {
		return &FileError{File: file, Msg: strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	rest := m[2]
	if u := reUnknown.FindStringSubmatch(rest); u != nil {
		text := fmt.Sprintf("unknown field %q", u[1])
		if known := knownFields[strings.TrimPrefix(u[2], "*")]; len(known) > 0 {
			text += " (known: " + strings.Join(known, ", ") + ")"
		}
		return &FileError{File: file, Line: line, Msg: text}
	}
	if w := reWrongType.FindStringSubmatch(rest); w != nil {
		text := fmt.Sprintf("expected %s, got %s", goTypeWords(w[2]), yamlTagWords(w[1]))
		if p := ix.pathAt(line, w[1]); p != "" {
			text = p + ": " + text
		}
		return &FileError{File: file, Line: line, Msg: text}
	}
	if d := reDuplicated.FindStringSubmatch(rest); d != nil {
		return &FileError{File: file, Line: line, Msg: fmt.Sprintf("duplicate key %q (first at line %s)", d[1], d[2])}
	}
	return &FileError{File: file, Line: line, Msg: rest}
}

// pathAt finds the field whose value sits at line with the given tag: the
// value yaml.v3 could not decode. Of several (a flow mapping nested in a
// block one starts on the same line), the innermost is the one meant.
func (ix *nodeIndex) pathAt(line int, tag string) string {
	if ix == nil {
		return ""
	}
	found := ""
	for _, v := range ix.values {
		if v.line == line && v.tag == tag {
			found = v.path
		}
	}
	return found
}

func goTypeWords(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "a whole number"
	case t == "[]string":
		return "a list of strings"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case t == "map[string]string":
		return "a mapping of strings"
	default: // maps and our structs
		return "a mapping"
	}
}

func yamlTagWords(tag string) string {
	switch tag {
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!str":
		return "a string"
	case "!!int", "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "nothing"
	}
	return tag
}

// knownFields lists, per Go type as yaml.v3 names it, the keys it accepts in
// declaration order, so that a typo'd key is answered with the right spelling.
var knownFields = yamlFieldNames(Recipe{}, Upstream{}, Verify{}, DebPackaging{}, RPMPackaging{}, Config{}, Target{})

func yamlFieldNames(values ...any) map[string][]string {
	out := map[string][]string{}
	for _, v := range values {
		t := reflect.TypeOf(v)
		var names []string
		for i := 0; i < t.NumField(); i++ {
			tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if tag != "" && tag != "-" {
				names = append(names, tag)
			}
		}
		out[t.String()] = names
	}
	return out
}
