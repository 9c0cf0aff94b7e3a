package httpsteptest

// Matches is matches, for the tests.
var Matches = matches
