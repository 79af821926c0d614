package web

import (
	"errors"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/template/parse"

	"golang.org/x/text/language"
)

// Most of a page's words are messages of fixed keys ({{.T "home.scan"}}),
// and executing a template is reflection: each such call looked the method
// up by name, called it and formatted the message, then called the HTML
// escaper on the result, on every view. The pages are therefore parsed
// once per language, and in each language's copy
//
//  1. a call of T with a constant key (and no other argument) on the view
//     becomes the constant it returns, before the templates are escaped;
//  2. once html/template has escaped them, a constant whose escaper is
//     one of those of HTML text, quoted attributes or RCDATA becomes text,
//     escaped as html/template's own escaper escapes it.
//
// The output is the same, byte for byte: the escaping is html/template's
// (the escapers are run on the constants once, by executing it), and only
// calls whose receiver is the view are replaced (T on the language switch's
// other Locale is not).

// localizedPages parses the pages once per language, with the constant
// messages of that language folded in.
func localizedPages(cat *Catalog) (map[language.Tag]map[string]*template.Template, error) {
	out := make(map[language.Tag]map[string]*template.Template, len(langs))
	for _, tag := range langs {
		pages, err := parsePages()
		if err != nil {
			return nil, err
		}
		l := cat.Locale(tag)
		for name, t := range pages {
			if err := foldMessages(t, l); err != nil {
				return nil, fmt.Errorf("web: template %s (%s): %w", name, tag, err)
			}
		}
		out[tag] = pages
	}
	return out, nil
}

// foldMessages folds a page's constant messages in language l (see above).
func foldMessages(t *template.Template, l Locale) error {
	view := viewTemplates(t)
	for _, x := range t.Templates() {
		if x.Tree == nil || x.Tree.Root == nil || !view[x.Name()] {
			continue
		}
		foldCalls(x.Tree.Root, true, l)
	}
	// Escape now: html/template escapes a template set when it is first
	// executed, before it evaluates anything; with no data, the execution
	// stops at the first field.
	var escErr *template.Error
	if err := t.ExecuteTemplate(io.Discard, "layout", nil); errors.As(err, &escErr) {
		return err
	}
	for _, x := range t.Templates() {
		if x.Tree != nil && x.Tree.Root != nil {
			foldConstants(x.Tree.Root)
		}
	}
	return nil
}

// viewTemplates are the templates whose data is always the view: the
// layout, and those every call of which passes the view along.
func viewTemplates(t *template.Template) map[string]bool {
	type call struct {
		to   string
		view bool // the argument is the view if the caller's data is
	}
	calls := map[string][]call{}
	for _, x := range t.Templates() {
		if x.Tree == nil || x.Tree.Root == nil {
			continue
		}
		var walk func(n parse.Node, dot bool)
		walk = func(n parse.Node, dot bool) {
			switch n := n.(type) {
			case *parse.ListNode:
				if n == nil {
					return
				}
				for _, c := range n.Nodes {
					walk(c, dot)
				}
			case *parse.IfNode:
				walk(n.List, dot)
				walk(n.ElseList, dot)
			case *parse.RangeNode:
				walk(n.List, false)
				walk(n.ElseList, dot)
			case *parse.WithNode:
				walk(n.List, false)
				walk(n.ElseList, dot)
			case *parse.TemplateNode:
				c := call{to: n.Name}
				if n.Pipe != nil && len(n.Pipe.Decl) == 0 && len(n.Pipe.Cmds) == 1 && len(n.Pipe.Cmds[0].Args) == 1 {
					switch a := n.Pipe.Cmds[0].Args[0].(type) {
					case *parse.DotNode:
						c.view = dot
					case *parse.VariableNode:
						c.view = len(a.Ident) == 1 && a.Ident[0] == "$"
					}
				}
				calls[x.Name()] = append(calls[x.Name()], c)
			}
		}
		walk(x.Tree.Root, true)
	}
	// Every template is the view's until a call says otherwise; a
	// template not the view's passes no view on.
	view := map[string]bool{}
	for _, x := range t.Templates() {
		view[x.Name()] = true
	}
	called := map[string]bool{"layout": true}
	for _, cs := range calls {
		for _, c := range cs {
			called[c.to] = true
		}
	}
	for name := range view {
		if !called[name] {
			view[name] = false // never executed from the layout: leave it be
		}
	}
	for changed := true; changed; {
		changed = false
		for from, cs := range calls {
			for _, c := range cs {
				if view[c.to] && !(c.view && view[from]) {
					view[c.to] = false
					changed = true
				}
			}
		}
	}
	return view
}

// foldCalls replaces the view's T calls of constant keys under n by their
// messages; dot reports whether dot is the view there ($ always is).
func foldCalls(n parse.Node, dot bool, l Locale) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			foldCalls(c, dot, l)
		}
	case *parse.ActionNode:
		foldPipe(n.Pipe, dot, l)
	case *parse.IfNode:
		foldPipe(n.Pipe, dot, l)
		foldCalls(n.List, dot, l)
		foldCalls(n.ElseList, dot, l)
	case *parse.RangeNode:
		foldPipe(n.Pipe, dot, l)
		foldCalls(n.List, false, l)
		foldCalls(n.ElseList, dot, l)
	case *parse.WithNode:
		foldPipe(n.Pipe, dot, l)
		foldCalls(n.List, false, l)
		foldCalls(n.ElseList, dot, l)
	}
}

// foldPipe folds the constant T calls among a pipeline's arguments: a
// whole command ({{.T "k"}}, {{.T "k" | f}}) or a parenthesized argument
// ({{if eq .X (.T "k")}}).
func foldPipe(p *parse.PipeNode, dot bool, l Locale) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		if s, ok := constCall(c, dot, l); ok {
			c.Args = []parse.Node{s}
			continue
		}
		for _, a := range c.Args {
			if sub, ok := a.(*parse.PipeNode); ok {
				foldPipe(sub, dot, l)
			}
		}
	}
}

// constCall is a command's message as a string constant, if the command
// is a call of the view's T with one constant key.
func constCall(c *parse.CommandNode, dot bool, l Locale) (*parse.StringNode, bool) {
	if len(c.Args) != 2 {
		return nil, false
	}
	key, ok := c.Args[1].(*parse.StringNode)
	if !ok {
		return nil, false
	}
	switch f := c.Args[0].(type) {
	case *parse.FieldNode:
		if !dot || len(f.Ident) != 1 || f.Ident[0] != "T" {
			return nil, false
		}
	case *parse.VariableNode:
		if len(f.Ident) != 2 || f.Ident[0] != "$" || f.Ident[1] != "T" {
			return nil, false
		}
	default:
		return nil, false
	}
	msg := l.T(key.Text)
	return &parse.StringNode{NodeType: parse.NodeString, Pos: key.Pos, Quoted: strconv.Quote(msg), Text: msg}, true
}

// escapers are the html/template escapers foldConstants runs on
// constants, each with a template that puts its argument in that escaper's
// context, and the text around it there.
var escapers = map[string]struct{ src, before, after string }{
	"_html_template_htmlescaper":   {`{{.}}`, ``, ``},
	"_html_template_attrescaper":   {`<a title="{{.}}">`, `<a title="`, `">`},
	"_html_template_rcdataescaper": {`<title>{{.}}</title>`, `<title>`, `</title>`},
}

// escapeAs runs an html/template escaper on s.
func escapeAs(escaper, s string) (string, bool) {
	e, ok := escapers[escaper]
	if !ok {
		return "", false
	}
	t, err := template.New("").Parse(e.src)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	if err := t.Execute(&b, s); err != nil {
		return "", false
	}
	out, ok := strings.CutPrefix(b.String(), e.before)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(out, e.after)
}

// foldConstants replaces, in escaped templates, the actions that print a
// constant through one escaper by the escaped text.
func foldConstants(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for i, c := range n.Nodes {
			if a, ok := c.(*parse.ActionNode); ok {
				if text, ok := constAction(a); ok {
					n.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: a.Pos, Text: []byte(text)}
				}
				continue
			}
			foldConstants(c)
		}
	case *parse.IfNode:
		foldConstants(n.List)
		foldConstants(n.ElseList)
	case *parse.RangeNode:
		foldConstants(n.List)
		foldConstants(n.ElseList)
	case *parse.WithNode:
		foldConstants(n.List)
		foldConstants(n.ElseList)
	}
}

// constAction is the output of {{"constant" | escaper}}.
func constAction(a *parse.ActionNode) (string, bool) {
	p := a.Pipe
	if p == nil || len(p.Decl) != 0 || len(p.Cmds) != 2 || len(p.Cmds[0].Args) != 1 || len(p.Cmds[1].Args) != 1 {
		return "", false
	}
	s, ok := p.Cmds[0].Args[0].(*parse.StringNode)
	if !ok {
		return "", false
	}
	id, ok := p.Cmds[1].Args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	return escapeAs(id.Ident, s.Text)
}
