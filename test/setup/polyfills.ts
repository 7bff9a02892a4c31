import '../../local/polyfills';

// Lambda runs Node 22; the SDK warns on every start under this machine's Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Tests assert on log lines through setLogSink; the console stays quiet unless LOG_LEVEL is set.
process.env.LOG_LEVEL ??= 'silent';
