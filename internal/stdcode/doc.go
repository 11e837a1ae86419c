// Package stdcode validates, normalises and masks the Chinese national codes
// that the government-services platform accepts from people and from other
// systems:
//
//   - 公民身份号码 (citizen identity number, GB 11643-1999);
//   - 统一社会信用代码 (unified social credit code, GB 32100-2015) and the
//     组织机构代码 (organisation code, GB 11714) embedded in it;
//   - 行政区划代码 (administrative division codes: the 6-digit GB/T 2260 codes
//     and the 12-digit statistical division codes built on them);
//   - mainland mobile phone numbers;
//   - 电子证照标识 (electronic licence identifiers, GB/T 36904-2018).
//
// Every function is pure: no I/O, no global state, no clock (functions that
// need "today" take a now argument), so they are safe to call concurrently
// and easy to test.
//
// Errors are plain errors.New / fmt.Errorf values with precise Chinese
// messages meant to be shown to the person who typed the value. There are
// deliberately no exported sentinel errors: every failure here means "the
// input is invalid", and callers map any non-nil error to their own
// "invalid" API error, passing the message through. Messages never echo
// arbitrary user input back (only positions and already-validated digits),
// so they are safe to log and to render.
//
// Validation functions accept the sloppy forms people actually type (spaces
// inside or around the code, full-width characters from Chinese input
// methods, lower-case letters) and judge the normalised form; callers should
// store the output of the matching Normalize function, which is what was
// validated.
package stdcode
