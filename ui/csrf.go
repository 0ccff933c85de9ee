package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// CSRF protection is a signed double-submit cookie. A page that shows a
// form makes sure the browser holds a token in the cookie csrfCookie (a
// random nonce and its HMAC-SHA256 under the UI's key) and puts the same
// token in a hidden field of the form. A POST is accepted only when the
// field equals the cookie and the signature verifies, so another site can
// neither read the token nor plant one of its own making. Cross-origin
// requests are refused first, from the browser's Sec-Fetch-Site and Origin
// headers (http.CrossOriginProtection).

const (
	csrfCookie  = "cloacina_csrf"
	csrfField   = "csrf"
	flashCookie = "cloacina_flash"
)

// signer signs tokens and flash messages with one key.
type signer struct{ key []byte }

func newSigner(key []byte) *signer {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails
	}
	return &signer{key: key}
}

func (s *signer) sign(payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify returns the payload of a signed value.
func (s *signer) verify(v string) (string, bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return "", false
	}
	payload := v[:i]
	return payload, hmac.Equal([]byte(s.sign(payload)), []byte(v))
}

// token returns the request's CSRF token, minting one (and setting its
// cookie) when the request has none that verifies.
func (u *ui) token(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil {
		if _, ok := u.csrf.verify(c.Value); ok {
			return c.Value
		}
	}
	nonce := make([]byte, 18)
	_, _ = rand.Read(nonce)
	t := u.csrf.sign(base64.RawURLEncoding.EncodeToString(nonce))
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: t, Path: u.cookiePath(),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	return t
}

// checkCSRF reports why a POST must be refused, or "" to accept it.
func (u *ui) checkCSRF(r *http.Request) string {
	if err := u.xorig.Check(r); err != nil {
		return "cross-origin request refused"
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil {
		return "missing CSRF cookie: reload the page and try again"
	}
	if _, ok := u.csrf.verify(c.Value); !ok {
		return "invalid CSRF cookie: reload the page and try again"
	}
	if f := r.PostFormValue(csrfField); !hmac.Equal([]byte(f), []byte(c.Value)) {
		return "CSRF token missing or wrong: reload the page and try again"
	}
	return ""
}

func (u *ui) cookiePath() string {
	if u.base == "" {
		return "/"
	}
	return u.base + "/"
}

// flash is a message shown once on the page an action redirects to.
type flash struct {
	Kind string `json:"k"` // "ok" or "error"
	Text string `json:"t"`
}

// setFlash stores a signed message for the next page (signed, so a link
// cannot make the UI show text of someone else's choosing).
func (u *ui) setFlash(w http.ResponseWriter, f flash) {
	b, _ := json.Marshal(f)
	if len(b) > 3000 { // keep under the browsers' cookie size limit
		f.Text = f.Text[:2500] + "…"
		b, _ = json.Marshal(f)
	}
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: u.csrf.sign(base64.RawURLEncoding.EncodeToString(b)),
		Path: u.cookiePath(), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// takeFlash returns the pending message, if any, and clears it.
func (u *ui) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: u.cookiePath(), MaxAge: -1})
	p, ok := u.csrf.verify(c.Value)
	if !ok {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil
	}
	var f flash
	if json.Unmarshal(b, &f) != nil {
		return nil
	}
	return &f
}
