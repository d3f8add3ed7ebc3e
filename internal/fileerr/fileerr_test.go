package fileerr

import "testing"

func TestError(t *testing.T) {
	for _, c := range []struct {
		e    *Error
		want string
	}{
		{&Error{File: "a.yaml", Line: 3, Column: 7, Msg: "bad"}, "a.yaml:3:7: bad"},
		{&Error{File: "a.csv", Line: 3, Msg: "bad"}, "a.csv:3: bad"},
		{&Error{File: "a.csv", Msg: "too large"}, "a.csv: too large"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.e, got, c.want)
		}
	}
	es := Errors{{File: "a", Line: 1, Msg: "x"}, {File: "b", Msg: "y"}}
	if got, want := es.Error(), "a:1: x\nb: y"; got != want {
		t.Errorf("errors: %q, want %q", got, want)
	}
}
