import '../../shared/local/polyfills';
