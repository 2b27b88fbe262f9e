//! Rebuilds the app when a catalogue changes: `load_locales!` reads frontend/locales/
//! at compile time, and a proc macro cannot tell cargo which files it read.

fn main() {
    println!("cargo::rerun-if-changed=locales");
}
