import '../../local/polyfills';

// A run on a Node older than the SDK supports would print its warning on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Tests assert on log lines through setLogSink; the console stays quiet unless LOG_LEVEL is set.
process.env.LOG_LEVEL ??= 'silent';
