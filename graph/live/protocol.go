package live

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// Subprotocol is the WebSocket subprotocol this transport speaks
// (github.com/enisdenjo/graphql-ws, PROTOCOL.md).
const Subprotocol = "graphql-transport-ws"

// Message types of graphql-transport-ws.
const (
	typeConnectionInit = "connection_init"
	typeConnectionAck  = "connection_ack"
	typePing           = "ping"
	typePong           = "pong"
	typeSubscribe      = "subscribe"
	typeNext           = "next"
	typeError          = "error"
	typeComplete       = "complete"
)

// Close codes of graphql-transport-ws.
const (
	closeBadRequest   websocket.StatusCode = 4400
	closeUnauthorized websocket.StatusCode = 4401
	closeForbidden    websocket.StatusCode = 4403
	closeInitTimeout  websocket.StatusCode = 4408
	closeDuplicateID  websocket.StatusCode = 4409
	closeTooManyInits websocket.StatusCode = 4429
)

// maxCloseReason is the most bytes a close frame's reason may hold.
const maxCloseReason = 123

// message is one graphql-transport-ws message from a client.
type message struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

var errInvalidMessage = errors.New("invalid message")

// parseMessage decodes a client's message and checks its shape: a known
// type, an ID where the type needs one, an object (or nothing) as payload
// where one is allowed.
func parseMessage(data []byte) (message, error) {
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		return m, errInvalidMessage
	}
	payload := bytes.TrimSpace(m.Payload)
	isObject := len(payload) > 0 && payload[0] == '{'
	absent := len(payload) == 0 || string(payload) == "null"
	switch m.Type {
	case typeConnectionInit, typePing, typePong:
		if !absent && !isObject {
			return m, errInvalidMessage
		}
	case typeSubscribe:
		if m.ID == "" || !isObject {
			return m, errInvalidMessage
		}
	case typeComplete:
		if m.ID == "" {
			return m, errInvalidMessage
		}
	default:
		return m, errInvalidMessage
	}
	return m, nil
}

// Messages to clients are written by hand: a next message wraps a payload
// rendered once for many subscribers.
var (
	msgAck  = []byte(`{"type":"connection_ack"}`)
	msgPing = []byte(`{"type":"ping"}`)
	msgPong = []byte(`{"type":"pong"}`)
)

// quoteID is an operation ID as a JSON string.
func quoteID(id string) []byte {
	b, _ := json.Marshal(id)
	return b
}

// encode writes {"id":<id>,"type":<typ>,"payload":<payload>} to buf (no
// payload when it is nil).
func encode(buf *bytes.Buffer, id []byte, typ string, payload []byte) {
	buf.WriteString(`{"id":`)
	buf.Write(id)
	buf.WriteString(`,"type":"`)
	buf.WriteString(typ)
	buf.WriteByte('"')
	if payload != nil {
		buf.WriteString(`,"payload":`)
		buf.Write(payload)
	}
	buf.WriteByte('}')
}

func encoded(id []byte, typ string, payload []byte) []byte {
	var buf bytes.Buffer
	encode(&buf, id, typ, payload)
	return buf.Bytes()
}

// offers reports whether a WebSocket upgrade request offers this
// transport's subprotocol.
func offers(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(h, ",") {
			if strings.TrimSpace(p) == Subprotocol {
				return true
			}
		}
	}
	return false
}

// closeReason cuts a close frame's reason to what one may hold, at a rune
// boundary.
func closeReason(s string) string {
	if len(s) <= maxCloseReason {
		return s
	}
	cut := maxCloseReason
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut]
}

// Buffers of a connection: net/http hands a hijacked connection a 4 KB
// reader and a 4 KB writer; clients send a few small messages, and most
// of the server's fit in 2 KB (a larger one costs a second write).
const (
	readBuffer  = 512
	writeBuffer = 2048
)

// leanHijacker hands coder/websocket smaller buffers than net/http's when
// it hijacks the connection (8 KB → 2.5 KB per connection).
type leanHijacker struct{ http.ResponseWriter }

func (w leanHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	// net/http has flushed the handshake's answer: the writer is empty.
	// What the client sent after its handshake is in the reader: it moves
	// to the new one, unless it does not fit.
	buffered := brw.Reader.Buffered()
	if buffered > readBuffer {
		return conn, brw, nil
	}
	var r io.Reader = conn
	if buffered > 0 {
		early, _ := brw.Reader.Peek(buffered)
		r = io.MultiReader(bytes.NewReader(bytes.Clone(early)), conn)
	}
	br := bufio.NewReaderSize(r, readBuffer)
	if buffered > 0 {
		_, _ = br.Peek(buffered) // into the buffer, from the copy alone
	}
	return conn, bufio.NewReadWriter(br, bufio.NewWriterSize(conn, writeBuffer)), nil
}
