//! The column type parser: any text gives a type or an error, never a panic, and a type it
//! accepts prints as text that parses back to the same type.
#![no_main]

use libfuzzer_sys::fuzz_target;
use schema::model::ColumnType;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(ty) = ColumnType::parse(text) {
        assert_eq!(ColumnType::parse(&ty.to_string()), Ok(ty), "{text:?}");
    }
});
