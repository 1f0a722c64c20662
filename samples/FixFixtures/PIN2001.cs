using System;

namespace FixFixtures.PIN2001
{
    unsafe static class Parser
    {
        public static int Peek(byte[] data)
        {
            byte* q = null;
            fixed (byte* p = data)
            {
                q = p + 1;
            }

            var value = *q;
            Console.WriteLine(value);
            return value;
        }

        public static void Dump(byte[] data)
        {
            byte* q = null;
            fixed (byte* p = data)
            {
                q = p;
            }

            Console.WriteLine(*q);
            Console.WriteLine("done");
        }
    }
}
