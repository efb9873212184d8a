//! FINRA's feeds: Reg SHO daily short-sale volume and the weekly OTC (ATS and non-ATS) volume.

pub mod ats;
pub mod short_volume;
