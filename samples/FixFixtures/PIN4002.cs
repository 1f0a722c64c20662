using System.IO.MemoryMappedFiles;

namespace FixFixtures.PIN4002
{
    static unsafe class Reader
    {
        private static int Parse(byte* p) => *p;

        public static int NeverReleased(MemoryMappedFile file)
        {
            using var view = file.CreateViewAccessor();
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            var value = Parse(p);
            return value;
        }

        public static int ReleasedAfterAThrowingCall(MemoryMappedFile file)
        {
            using var view = file.CreateViewAccessor();
            var handle = view.SafeMemoryMappedViewHandle;
            byte* p = null;
            handle.AcquirePointer(ref p);
            var value = Parse(p);
            handle.ReleasePointer();
            return value;
        }
    }
}
