//! The Mine Ban Treaty (1997 Convention on the Prohibition of the Use, Stockpiling, Production and
//! Transfer of Anti-Personnel Mines and on their Destruction) as pure functions.
