//! The vpcd protocol (vsmartcard): the card side connects over TCP to pcscd's virtual reader and
//! answers frames of `u16 big-endian length ‖ payload`. A 1-byte payload is a control code
//! (0 power off, 1 power on, 2 reset, 4 ATR request); anything else is a command APDU.

use std::io::{self, Read, Write};

/// What the card behind a vpcd connection must do.
pub trait VpcdCard {
    fn power_off(&mut self);
    fn reset(&mut self);
    fn atr(&self) -> Vec<u8>;
    fn apdu(&mut self, command: &[u8]) -> Vec<u8>;
}

/// Serves frames until the peer closes the connection.
pub fn serve<S: Read + Write, C: VpcdCard>(stream: &mut S, card: &mut C) -> io::Result<()> {
    loop {
        let mut len = [0u8; 2];
        match stream.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) => return Err(e),
        }
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut payload)?;
        let reply = match payload.as_slice() {
            [0] => {
                card.power_off();
                None
            }
            [1] | [2] => {
                card.reset();
                None
            }
            [4] => Some(card.atr()),
            [_] => None,
            apdu => Some(card.apdu(apdu)),
        };
        if let Some(r) = reply {
            let n = u16::try_from(r.len()).map_err(|_| io::Error::other("response too long"))?;
            // One write for the whole frame: two small writes would leave the second waiting for
            // the peer's (delayed) acknowledgement of the first.
            let mut frame = Vec::with_capacity(2 + r.len());
            frame.extend_from_slice(&n.to_be_bytes());
            frame.extend_from_slice(&r);
            stream.write_all(&frame)?;
            stream.flush()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Echo {
        resets: usize,
        offs: usize,
    }

    impl VpcdCard for Echo {
        fn power_off(&mut self) {
            self.offs += 1;
        }
        fn reset(&mut self) {
            self.resets += 1;
        }
        fn atr(&self) -> Vec<u8> {
            vec![0x3B, 0x00]
        }
        fn apdu(&mut self, c: &[u8]) -> Vec<u8> {
            let mut r = c.to_vec();
            r.extend_from_slice(&[0x90, 0x00]);
            r
        }
    }

    struct Pipe {
        input: io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }
    impl Read for Pipe {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.input.read(b)
        }
    }
    impl Write for Pipe {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.output.write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn frames_and_control_codes() {
        let input = [
            &[0, 1, 1][..],
            &[0, 1, 4],
            &[0, 4, 0, 0xA4, 4, 0],
            &[0, 1, 0],
        ]
        .concat();
        let mut pipe = Pipe {
            input: io::Cursor::new(input),
            output: Vec::new(),
        };
        let mut card = Echo::default();
        serve(&mut pipe, &mut card).expect("served");
        assert_eq!(
            pipe.output,
            [&[0, 2, 0x3B, 0x00][..], &[0, 6, 0, 0xA4, 4, 0, 0x90, 0]].concat()
        );
        assert_eq!((card.resets, card.offs), (1, 1));
    }
}
