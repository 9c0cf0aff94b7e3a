package httpstep

import (
	"encoding/binary"
	"math"
	"reflect"
	"slices"
	"sync"
)

// stepCache keeps the Steps that [Client.Execute] compiled, keyed by the
// whole content of their node, so that a host which decodes a stored node
// afresh for every call validates and compiles it once, and the Step's
// redaction forms of a secret are worked out once per value rather than on
// every call.
//
// The key is an exact encoding of every field of the node (no hash that
// two nodes could share), so a node edited in any field between two calls
// gets a Step of its own, never a stale one. The cached Step was compiled
// from a deep copy of the node, so the host's later edits of its own node
// cannot reach it. At most maxCachedSteps Steps are kept (a full cache
// forgets one at random for each new node), and a node whose key is longer
// than maxStepKeyBytes is compiled on every call, so the keys take at most
// 4 MiB and the Steps' copies of their nodes about as much. A Step keeps the forms of
// the secret values its runs met (at most maxCachedSecrets), so a cached
// Step holds those values in memory as long as the Client keeps it, as a
// Step a host compiles itself does.
//
// The zero stepCache is ready; it is safe for concurrent use.
type stepCache struct {
	mu sync.Mutex
	m  map[string]*Step
}

// Bounds of the step cache: the Steps kept, and the longest key kept.
const (
	maxCachedSteps  = 256
	maxStepKeyBytes = 16 << 10
)

// keyBufs are the buffers node keys are encoded in, reused across calls.
var keyBufs = sync.Pool{New: func() any { return new([]byte) }}

// compile returns the Step for node n: the cached one when a node of the
// same content was compiled before, else a new one, validated and compiled
// from a deep copy of n. An invalid node gives the *ConfigError of
// [NodeConfig.Validate] and is not kept.
func (sc *stepCache) compile(n *NodeConfig) (*Step, error) {
	buf := keyBufs.Get().(*[]byte)
	defer keyBufs.Put(buf)
	key, ok := appendNodeKey((*buf)[:0], n)
	if ok && cap(key) <= maxStepKeyBytes {
		*buf = key // the buffer keeps its grown array for the next call
	}
	if !ok || len(key) > maxStepKeyBytes {
		return compileFresh(n)
	}
	sc.mu.Lock()
	s := sc.m[string(key)]
	sc.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := compileFresh(copyNode(n))
	if err != nil {
		return nil, err
	}
	sc.store(string(key), s)
	return s, nil
}

// compileFresh validates and compiles n without caching or copying it.
func compileFresh(n *NodeConfig) (*Step, error) {
	ts, err := n.check()
	if err != nil {
		return nil, err
	}
	return n.compile(ts)
}

// store keeps s under key, forgetting another Step when the cache is full.
func (sc *stepCache) store(key string, s *Step) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.m == nil {
		sc.m = make(map[string]*Step)
	}
	if _, ok := sc.m[key]; !ok && len(sc.m) >= maxCachedSteps {
		for k := range sc.m { // map order: an arbitrary victim
			delete(sc.m, k)
			break
		}
	}
	sc.m[key] = s
}

// maxKeyDepth bounds the nesting a node key follows; a deeper (or cyclic)
// node is compiled on every call.
const maxKeyDepth = 32

var nodeType = reflect.TypeFor[NodeConfig]()

// appendNodeKey appends the exact encoding of n's content to key: every
// field, in order, strings length-prefixed, nil told apart from empty, map
// entries sorted. Two nodes have the same key exactly when every field of
// theirs is equal. False for a nil node, one nested deeper than
// maxKeyDepth, or one holding a kind of value the encoding does not know.
func appendNodeKey(key []byte, n *NodeConfig) ([]byte, bool) {
	if n == nil {
		return key, false
	}
	return appendKey(key, reflect.ValueOf(n).Elem(), 0)
}

func appendKey(key []byte, v reflect.Value, depth int) ([]byte, bool) {
	if depth > maxKeyDepth {
		return key, false
	}
	switch v.Kind() {
	case reflect.String:
		key = binary.AppendUvarint(key, uint64(v.Len()))
		return append(key, v.String()...), true
	case reflect.Bool:
		if v.Bool() {
			return append(key, 1), true
		}
		return append(key, 0), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return binary.AppendVarint(key, v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return binary.AppendUvarint(key, v.Uint()), true
	case reflect.Float32, reflect.Float64:
		return binary.LittleEndian.AppendUint64(key, math.Float64bits(v.Float())), true
	case reflect.Pointer:
		if v.IsNil() {
			return append(key, 0), true
		}
		return appendKey(append(key, 1), v.Elem(), depth+1)
	case reflect.Struct:
		return appendStructKey(key, v, depth)
	case reflect.Slice:
		if v.IsNil() {
			return append(key, 0), true
		}
		return appendElemsKey(append(key, 1), v, depth)
	case reflect.Array:
		return appendElemsKey(key, v, depth)
	case reflect.Map:
		return appendMapKey(key, v, depth)
	}
	return key, false // interfaces, funcs, channels: not content a key can hold
}

func appendStructKey(key []byte, v reflect.Value, depth int) ([]byte, bool) {
	ok := true
	for i := 0; i < v.NumField() && ok; i++ {
		key, ok = appendKey(key, v.Field(i), depth+1)
	}
	return key, ok
}

func appendElemsKey(key []byte, v reflect.Value, depth int) ([]byte, bool) {
	key = binary.AppendUvarint(key, uint64(v.Len()))
	ok := true
	for i := 0; i < v.Len() && ok; i++ {
		key, ok = appendKey(key, v.Index(i), depth+1)
	}
	return key, ok
}

// appendMapKey encodes a map with string keys, its entries sorted by key.
func appendMapKey(key []byte, v reflect.Value, depth int) ([]byte, bool) {
	if v.Type().Key().Kind() != reflect.String {
		return key, false
	}
	if v.IsNil() {
		return append(key, 0), true
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int {
		switch sa, sb := a.String(), b.String(); {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	key = binary.AppendUvarint(append(key, 1), uint64(len(keys)))
	ok := true
	for i := 0; i < len(keys) && ok; i++ {
		if key, ok = appendKey(key, keys[i], depth+1); ok {
			key, ok = appendKey(key, v.MapIndex(keys[i]), depth+1)
		}
	}
	return key, ok
}

// copyNode returns a deep copy of n, which appendNodeKey could encode: no
// pointer, slice or map is shared with n.
func copyNode(n *NodeConfig) *NodeConfig {
	c := reflect.New(nodeType)
	deepCopy(c.Elem(), reflect.ValueOf(n).Elem())
	return c.Interface().(*NodeConfig)
}

// deepCopy sets dst, which is settable and of src's type, to a deep copy of
// src.
func deepCopy(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if !src.IsNil() {
			p := reflect.New(src.Type().Elem())
			deepCopy(p.Elem(), src.Elem())
			dst.Set(p)
		}
	case reflect.Struct:
		dst.Set(src)
		for i := range src.NumField() {
			if dst.Field(i).CanSet() {
				deepCopy(dst.Field(i), src.Field(i))
			}
		}
	case reflect.Slice:
		if !src.IsNil() {
			s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
			for i := range src.Len() {
				deepCopy(s.Index(i), src.Index(i))
			}
			dst.Set(s)
		}
	case reflect.Array:
		for i := range src.Len() {
			deepCopy(dst.Index(i), src.Index(i))
		}
	case reflect.Map:
		deepCopyMap(dst, src)
	default:
		dst.Set(src)
	}
}

func deepCopyMap(dst, src reflect.Value) {
	if src.IsNil() {
		return
	}
	m := reflect.MakeMapWithSize(src.Type(), src.Len())
	for it := src.MapRange(); it.Next(); {
		v := reflect.New(src.Type().Elem()).Elem()
		deepCopy(v, it.Value())
		m.SetMapIndex(it.Key(), v)
	}
	dst.Set(m)
}
