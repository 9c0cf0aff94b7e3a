package httpstep

// transportKey names one of the Client's transports.
type transportKey struct {
	proxy    bool
	insecure bool
	source   int // index into SourceAddrs, -1 for none
}
