package easytask

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// The headers of a callback or heartbeat to a task server with a secret.
const (
	TimestampHeader = "X-Easytask-Timestamp"
	SignatureHeader = "X-Easytask-Signature"
)

// DefaultSignatureTolerance is how far a signed callback's timestamp may be
// from the task server's clock, by default.
const DefaultSignatureTolerance = 300 * time.Second

// ErrSignature is wrapped by every error of VerifySignature: the request
// is not signed with the secret, or was signed too long ago.
var ErrSignature = errors.New("easytask: callback signature rejected")

var (
	unixSeconds = regexp.MustCompile(`^[0-9]{1,12}$`)
	signatureV1 = regexp.MustCompile(`^v1=([0-9a-fA-F]{64})$`)
)

func oneHeader(header http.Header, name string) (string, error) {
	values := header.Values(name)
	switch len(values) {
	case 0:
		return "", nil
	case 1:
		return values[0], nil
	}
	// Two values would leave it open which one was signed.
	return "", fmt.Errorf("%w: more than one %s header", ErrSignature, http.CanonicalHeaderKey(name))
}

// VerifySignature checks that a callback or heartbeat was signed by the
// scheduler with secret: X-Easytask-Signature is "v1=" + hex
// HMAC-SHA256(secret, X-Easytask-Timestamp + "." + body), and the
// timestamp (unix seconds) is within tolerance of now (0 means
// DefaultSignatureTolerance). body must be the raw bytes received. The
// error wraps ErrSignature and says what is wrong; answer it with HTTP 401
// and do not run the task.
func VerifySignature(secret string, header http.Header, body []byte, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	timestamp, err := oneHeader(header, TimestampHeader)
	if err != nil {
		return err
	}
	signature, err := oneHeader(header, SignatureHeader)
	if err != nil {
		return err
	}
	if timestamp == "" || signature == "" {
		missing := "x-easytask-timestamp"
		if timestamp != "" {
			missing = "x-easytask-signature"
		}
		return fmt.Errorf("%w: the request is not signed: %s is missing", ErrSignature, missing)
	}
	if !unixSeconds.MatchString(timestamp) {
		return fmt.Errorf("%w: x-easytask-timestamp is not unix seconds", ErrSignature)
	}
	given := signatureV1.FindStringSubmatch(signature)
	if given == nil {
		return fmt.Errorf(`%w: x-easytask-signature is not "v1=" and 64 hex digits`, ErrSignature)
	}
	at, _ := strconv.ParseInt(timestamp, 10, 64)
	skew := math.Abs(float64(time.Now().UnixMilli())/1000 - float64(at))
	if skew > tolerance.Seconds() {
		return fmt.Errorf("%w: the timestamp is %.0f s from now, more than the tolerance of %g s", ErrSignature, skew, tolerance.Seconds())
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	want, _ := hex.DecodeString(given[1])
	if !hmac.Equal(mac.Sum(nil), want) {
		return fmt.Errorf("%w: the signature does not match: signed with another secret, or altered", ErrSignature)
	}
	return nil
}
