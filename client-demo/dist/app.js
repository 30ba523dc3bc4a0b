// ../clients/ts/src/close-table.ts
var CLOSE_CODES = [
  { code: 1e3, name: "normal", retry: "never", meaning: "the session ended on purpose: the client said goodbye, or another connection resumed this session with its token" },
  { code: 1001, name: "going_away", retry: "backoff", meaning: "the server is shutting down or restarting; come back and resume" },
  { code: 1002, name: "protocol_error", retry: "never", meaning: "the client broke the protocol: a malformed, truncated or forged frame, or a message of the wrong kind or order" },
  { code: 1003, name: "unsupported_data", retry: "never", meaning: "the client sent a text frame; the protocol is binary only" },
  { code: 1005, name: "no_status", retry: "backoff", meaning: "never sent: WebSocket APIs report it for a close frame without a code" },
  { code: 1006, name: "abnormal", retry: "backoff", meaning: "never sent: WebSocket APIs report it for a connection lost without a close frame" },
  { code: 1007, name: "invalid_payload", retry: "never", meaning: "the client sent invalid UTF-8 (in a text frame or a close reason)" },
  { code: 1008, name: "policy_violation", retry: "backoff", meaning: "no Hello within the handshake timeout, nothing sent or read within the idle timeout, reading too slowly for even the slowest snapshot rate, or a message not whole within 2 s" },
  { code: 1009, name: "message_too_big", retry: "never", meaning: "the client sent a message larger than the limit" },
  { code: 1011, name: "internal_error", retry: "backoff", meaning: "the server hit an internal error and dropped the session, or the room's game failed and its room is gone" },
  { code: 1013, name: "server_full", retry: "backoff", meaning: "the server is at its session limit" },
  { code: 4e3, name: "version_mismatch", retry: "never", meaning: "the client speaks another protocol version" },
  { code: 4001, name: "unauthorized", retry: "never", meaning: "the auth token is missing, invalid or expired" },
  { code: 4002, name: "too_many_from_address", retry: "backoff", meaning: "too many sessions from the client's IP address" },
  { code: 4003, name: "origin_not_allowed", retry: "never", meaning: "the page's origin is not on the server's allow-list" },
  { code: 4004, name: "rate_limited", retry: "backoff", meaning: "the client sent messages faster than its limit" },
  { code: 4005, name: "seat_refused", retry: "never", meaning: "the seat is forged, expired or used, its room is gone, or a resume into a room failed; ask the matchmaker for a new seat" },
  { code: 4006, name: "room_full", retry: "backoff", meaning: "the default room is at capacity (a Hello without a seat)" }
];

// ../clients/ts/node_modules/flatbuffers/mjs/constants.js
var SIZEOF_SHORT = 2;
var SIZEOF_INT = 4;
var FILE_IDENTIFIER_LENGTH = 4;
var SIZE_PREFIX_LENGTH = 4;

// ../clients/ts/node_modules/flatbuffers/mjs/utils.js
var int32 = new Int32Array(2);
var float32 = new Float32Array(int32.buffer);
var float64 = new Float64Array(int32.buffer);
var isLittleEndian = new Uint16Array(new Uint8Array([1, 0]).buffer)[0] === 1;

// ../clients/ts/node_modules/flatbuffers/mjs/encoding.js
var Encoding;
(function(Encoding2) {
  Encoding2[Encoding2["UTF8_BYTES"] = 1] = "UTF8_BYTES";
  Encoding2[Encoding2["UTF16_STRING"] = 2] = "UTF16_STRING";
})(Encoding || (Encoding = {}));

// ../clients/ts/node_modules/flatbuffers/mjs/byte-buffer.js
var ByteBuffer = class _ByteBuffer {
  /**
   * Create a new ByteBuffer with a given array of bytes (`Uint8Array`)
   */
  constructor(bytes_) {
    this.bytes_ = bytes_;
    this.position_ = 0;
    this.text_decoder_ = new TextDecoder();
  }
  /**
   * Create and allocate a new ByteBuffer with a given size.
   */
  static allocate(byte_size) {
    return new _ByteBuffer(new Uint8Array(byte_size));
  }
  clear() {
    this.position_ = 0;
  }
  /**
   * Get the underlying `Uint8Array`.
   */
  bytes() {
    return this.bytes_;
  }
  /**
   * Get the buffer's position.
   */
  position() {
    return this.position_;
  }
  /**
   * Set the buffer's position.
   */
  setPosition(position) {
    this.position_ = position;
  }
  /**
   * Get the buffer's capacity.
   */
  capacity() {
    return this.bytes_.length;
  }
  readInt8(offset) {
    return this.readUint8(offset) << 24 >> 24;
  }
  readUint8(offset) {
    return this.bytes_[offset];
  }
  readInt16(offset) {
    return this.readUint16(offset) << 16 >> 16;
  }
  readUint16(offset) {
    return this.bytes_[offset] | this.bytes_[offset + 1] << 8;
  }
  readInt32(offset) {
    return this.bytes_[offset] | this.bytes_[offset + 1] << 8 | this.bytes_[offset + 2] << 16 | this.bytes_[offset + 3] << 24;
  }
  readUint32(offset) {
    return this.readInt32(offset) >>> 0;
  }
  readInt64(offset) {
    return BigInt.asIntN(64, BigInt(this.readUint32(offset)) + (BigInt(this.readUint32(offset + 4)) << BigInt(32)));
  }
  readUint64(offset) {
    return BigInt.asUintN(64, BigInt(this.readUint32(offset)) + (BigInt(this.readUint32(offset + 4)) << BigInt(32)));
  }
  readFloat32(offset) {
    int32[0] = this.readInt32(offset);
    return float32[0];
  }
  readFloat64(offset) {
    int32[isLittleEndian ? 0 : 1] = this.readInt32(offset);
    int32[isLittleEndian ? 1 : 0] = this.readInt32(offset + 4);
    return float64[0];
  }
  writeInt8(offset, value) {
    this.bytes_[offset] = value;
  }
  writeUint8(offset, value) {
    this.bytes_[offset] = value;
  }
  writeInt16(offset, value) {
    this.bytes_[offset] = value;
    this.bytes_[offset + 1] = value >> 8;
  }
  writeUint16(offset, value) {
    this.bytes_[offset] = value;
    this.bytes_[offset + 1] = value >> 8;
  }
  writeInt32(offset, value) {
    this.bytes_[offset] = value;
    this.bytes_[offset + 1] = value >> 8;
    this.bytes_[offset + 2] = value >> 16;
    this.bytes_[offset + 3] = value >> 24;
  }
  writeUint32(offset, value) {
    this.bytes_[offset] = value;
    this.bytes_[offset + 1] = value >> 8;
    this.bytes_[offset + 2] = value >> 16;
    this.bytes_[offset + 3] = value >> 24;
  }
  writeInt64(offset, value) {
    this.writeInt32(offset, Number(BigInt.asIntN(32, value)));
    this.writeInt32(offset + 4, Number(BigInt.asIntN(32, value >> BigInt(32))));
  }
  writeUint64(offset, value) {
    this.writeUint32(offset, Number(BigInt.asUintN(32, value)));
    this.writeUint32(offset + 4, Number(BigInt.asUintN(32, value >> BigInt(32))));
  }
  writeFloat32(offset, value) {
    float32[0] = value;
    this.writeInt32(offset, int32[0]);
  }
  writeFloat64(offset, value) {
    float64[0] = value;
    this.writeInt32(offset, int32[isLittleEndian ? 0 : 1]);
    this.writeInt32(offset + 4, int32[isLittleEndian ? 1 : 0]);
  }
  /**
   * Return the file identifier.   Behavior is undefined for FlatBuffers whose
   * schema does not include a file_identifier (likely points at padding or the
   * start of a the root vtable).
   */
  getBufferIdentifier() {
    if (this.bytes_.length < this.position_ + SIZEOF_INT + FILE_IDENTIFIER_LENGTH) {
      throw new Error("FlatBuffers: ByteBuffer is too short to contain an identifier.");
    }
    let result = "";
    for (let i = 0; i < FILE_IDENTIFIER_LENGTH; i++) {
      result += String.fromCharCode(this.readInt8(this.position_ + SIZEOF_INT + i));
    }
    return result;
  }
  /**
   * Look up a field in the vtable, return an offset into the object, or 0 if the
   * field is not present.
   */
  __offset(bb_pos, vtable_offset) {
    const vtable = bb_pos - this.readInt32(bb_pos);
    return vtable_offset < this.readInt16(vtable) ? this.readInt16(vtable + vtable_offset) : 0;
  }
  /**
   * Initialize any Table-derived type to point to the union at the given offset.
   */
  __union(t, offset) {
    t.bb_pos = offset + this.readInt32(offset);
    t.bb = this;
    return t;
  }
  /**
   * Create a JavaScript string from UTF-8 data stored inside the FlatBuffer.
   * This allocates a new string and converts to wide chars upon each access.
   *
   * To avoid the conversion to string, pass Encoding.UTF8_BYTES as the
   * "optionalEncoding" argument. This is useful for avoiding conversion when
   * the data will just be packaged back up in another FlatBuffer later on.
   *
   * @param offset
   * @param opt_encoding Defaults to UTF16_STRING
   */
  __string(offset, opt_encoding) {
    offset += this.readInt32(offset);
    const length = this.readInt32(offset);
    offset += SIZEOF_INT;
    const utf8bytes = this.bytes_.subarray(offset, offset + length);
    if (opt_encoding === Encoding.UTF8_BYTES)
      return utf8bytes;
    else
      return this.text_decoder_.decode(utf8bytes);
  }
  /**
   * Handle unions that can contain string as its member, if a Table-derived type then initialize it,
   * if a string then return a new one
   *
   * WARNING: strings are immutable in JS so we can't change the string that the user gave us, this
   * makes the behaviour of __union_with_string different compared to __union
   */
  __union_with_string(o, offset) {
    if (typeof o === "string") {
      return this.__string(offset);
    }
    return this.__union(o, offset);
  }
  /**
   * Retrieve the relative offset stored at "offset"
   */
  __indirect(offset) {
    return offset + this.readInt32(offset);
  }
  /**
   * Get the start of data of a vector whose offset is stored at "offset" in this object.
   */
  __vector(offset) {
    return offset + this.readInt32(offset) + SIZEOF_INT;
  }
  /**
   * Get the length of a vector whose offset is stored at "offset" in this object.
   */
  __vector_len(offset) {
    return this.readInt32(offset + this.readInt32(offset));
  }
  __has_identifier(ident) {
    if (ident.length != FILE_IDENTIFIER_LENGTH) {
      throw new Error("FlatBuffers: file identifier must be length " + FILE_IDENTIFIER_LENGTH);
    }
    for (let i = 0; i < FILE_IDENTIFIER_LENGTH; i++) {
      if (ident.charCodeAt(i) != this.readInt8(this.position() + SIZEOF_INT + i)) {
        return false;
      }
    }
    return true;
  }
  /**
   * A helper function for generating list for obj api
   */
  createScalarList(listAccessor, listLength) {
    const ret = [];
    for (let i = 0; i < listLength; ++i) {
      const val = listAccessor(i);
      if (val !== null) {
        ret.push(val);
      }
    }
    return ret;
  }
  /**
   * A helper function for generating list for obj api
   * @param listAccessor function that accepts an index and return data at that index
   * @param listLength listLength
   * @param res result list
   */
  createObjList(listAccessor, listLength) {
    const ret = [];
    for (let i = 0; i < listLength; ++i) {
      const val = listAccessor(i);
      if (val !== null) {
        ret.push(val.unpack());
      }
    }
    return ret;
  }
};

// ../clients/ts/node_modules/flatbuffers/mjs/builder.js
var Builder = class _Builder {
  /**
   * Create a FlatBufferBuilder.
   */
  constructor(opt_initial_size) {
    this.minalign = 1;
    this.vtable = null;
    this.vtable_in_use = 0;
    this.isNested = false;
    this.object_start = 0;
    this.vtables = [];
    this.vector_num_elems = 0;
    this.force_defaults = false;
    this.string_maps = null;
    this.text_encoder = new TextEncoder();
    let initial_size;
    if (!opt_initial_size) {
      initial_size = 1024;
    } else {
      initial_size = opt_initial_size;
    }
    this.bb = ByteBuffer.allocate(initial_size);
    this.space = initial_size;
  }
  clear() {
    this.bb.clear();
    this.space = this.bb.capacity();
    this.minalign = 1;
    this.vtable = null;
    this.vtable_in_use = 0;
    this.isNested = false;
    this.object_start = 0;
    this.vtables = [];
    this.vector_num_elems = 0;
    this.force_defaults = false;
    this.string_maps = null;
  }
  /**
   * In order to save space, fields that are set to their default value
   * don't get serialized into the buffer. Forcing defaults provides a
   * way to manually disable this optimization.
   *
   * @param forceDefaults true always serializes default values
   */
  forceDefaults(forceDefaults) {
    this.force_defaults = forceDefaults;
  }
  /**
   * Get the ByteBuffer representing the FlatBuffer. Only call this after you've
   * called finish(). The actual data starts at the ByteBuffer's current position,
   * not necessarily at 0.
   */
  dataBuffer() {
    return this.bb;
  }
  /**
   * Get the bytes representing the FlatBuffer. Only call this after you've
   * called finish().
   */
  asUint8Array() {
    return this.bb.bytes().subarray(this.bb.position(), this.bb.position() + this.offset());
  }
  /**
   * Prepare to write an element of `size` after `additional_bytes` have been
   * written, e.g. if you write a string, you need to align such the int length
   * field is aligned to 4 bytes, and the string data follows it directly. If all
   * you need to do is alignment, `additional_bytes` will be 0.
   *
   * @param size This is the of the new element to write
   * @param additional_bytes The padding size
   */
  prep(size, additional_bytes) {
    if (size > this.minalign) {
      this.minalign = size;
    }
    const align_size = ~(this.bb.capacity() - this.space + additional_bytes) + 1 & size - 1;
    while (this.space < align_size + size + additional_bytes) {
      const old_buf_size = this.bb.capacity();
      this.bb = _Builder.growByteBuffer(this.bb);
      this.space += this.bb.capacity() - old_buf_size;
    }
    this.pad(align_size);
  }
  pad(byte_size) {
    for (let i = 0; i < byte_size; i++) {
      this.bb.writeInt8(--this.space, 0);
    }
  }
  writeInt8(value) {
    this.bb.writeInt8(this.space -= 1, value);
  }
  writeInt16(value) {
    this.bb.writeInt16(this.space -= 2, value);
  }
  writeInt32(value) {
    this.bb.writeInt32(this.space -= 4, value);
  }
  writeInt64(value) {
    this.bb.writeInt64(this.space -= 8, value);
  }
  writeFloat32(value) {
    this.bb.writeFloat32(this.space -= 4, value);
  }
  writeFloat64(value) {
    this.bb.writeFloat64(this.space -= 8, value);
  }
  /**
   * Add an `int8` to the buffer, properly aligned, and grows the buffer (if necessary).
   * @param value The `int8` to add the buffer.
   */
  addInt8(value) {
    this.prep(1, 0);
    this.writeInt8(value);
  }
  /**
   * Add an `int16` to the buffer, properly aligned, and grows the buffer (if necessary).
   * @param value The `int16` to add the buffer.
   */
  addInt16(value) {
    this.prep(2, 0);
    this.writeInt16(value);
  }
  /**
   * Add an `int32` to the buffer, properly aligned, and grows the buffer (if necessary).
   * @param value The `int32` to add the buffer.
   */
  addInt32(value) {
    this.prep(4, 0);
    this.writeInt32(value);
  }
  /**
   * Add an `int64` to the buffer, properly aligned, and grows the buffer (if necessary).
   * @param value The `int64` to add the buffer.
   */
  addInt64(value) {
    this.prep(8, 0);
    this.writeInt64(value);
  }
  /**
   * Add a `float32` to the buffer, properly aligned, and grows the buffer (if necessary).
   * @param value The `float32` to add the buffer.
   */
  addFloat32(value) {
    this.prep(4, 0);
    this.writeFloat32(value);
  }
  /**
   * Add a `float64` to the buffer, properly aligned, and grows the buffer (if necessary).
   * @param value The `float64` to add the buffer.
   */
  addFloat64(value) {
    this.prep(8, 0);
    this.writeFloat64(value);
  }
  addFieldInt8(voffset, value, defaultValue) {
    if (this.force_defaults || value != defaultValue) {
      this.addInt8(value);
      this.slot(voffset);
    }
  }
  addFieldInt16(voffset, value, defaultValue) {
    if (this.force_defaults || value != defaultValue) {
      this.addInt16(value);
      this.slot(voffset);
    }
  }
  addFieldInt32(voffset, value, defaultValue) {
    if (this.force_defaults || value != defaultValue) {
      this.addInt32(value);
      this.slot(voffset);
    }
  }
  addFieldInt64(voffset, value, defaultValue) {
    if (this.force_defaults || value !== defaultValue) {
      this.addInt64(value);
      this.slot(voffset);
    }
  }
  addFieldFloat32(voffset, value, defaultValue) {
    if (this.force_defaults || value != defaultValue) {
      this.addFloat32(value);
      this.slot(voffset);
    }
  }
  addFieldFloat64(voffset, value, defaultValue) {
    if (this.force_defaults || value != defaultValue) {
      this.addFloat64(value);
      this.slot(voffset);
    }
  }
  addFieldOffset(voffset, value, defaultValue) {
    if (this.force_defaults || value != defaultValue) {
      this.addOffset(value);
      this.slot(voffset);
    }
  }
  /**
   * Structs are stored inline, so nothing additional is being added. `d` is always 0.
   */
  addFieldStruct(voffset, value, defaultValue) {
    if (value != defaultValue) {
      this.nested(value);
      this.slot(voffset);
    }
  }
  /**
   * Structures are always stored inline, they need to be created right
   * where they're used.  You'll get this assertion failure if you
   * created it elsewhere.
   */
  nested(obj) {
    if (obj != this.offset()) {
      throw new TypeError("FlatBuffers: struct must be serialized inline.");
    }
  }
  /**
   * Should not be creating any other object, string or vector
   * while an object is being constructed
   */
  notNested() {
    if (this.isNested) {
      throw new TypeError("FlatBuffers: object serialization must not be nested.");
    }
  }
  /**
   * Set the current vtable at `voffset` to the current location in the buffer.
   */
  slot(voffset) {
    if (this.vtable !== null)
      this.vtable[voffset] = this.offset();
  }
  /**
   * @returns Offset relative to the end of the buffer.
   */
  offset() {
    return this.bb.capacity() - this.space;
  }
  /**
   * Doubles the size of the backing ByteBuffer and copies the old data towards
   * the end of the new buffer (since we build the buffer backwards).
   *
   * @param bb The current buffer with the existing data
   * @returns A new byte buffer with the old data copied
   * to it. The data is located at the end of the buffer.
   *
   * uint8Array.set() formally takes {Array<number>|ArrayBufferView}, so to pass
   * it a uint8Array we need to suppress the type check:
   * @suppress {checkTypes}
   */
  static growByteBuffer(bb) {
    const old_buf_size = bb.capacity();
    if (old_buf_size & 3221225472) {
      throw new Error("FlatBuffers: cannot grow buffer beyond 2 gigabytes.");
    }
    const new_buf_size = old_buf_size << 1;
    const nbb = ByteBuffer.allocate(new_buf_size);
    nbb.setPosition(new_buf_size - old_buf_size);
    nbb.bytes().set(bb.bytes(), new_buf_size - old_buf_size);
    return nbb;
  }
  /**
   * Adds on offset, relative to where it will be written.
   *
   * @param offset The offset to add.
   */
  addOffset(offset) {
    this.prep(SIZEOF_INT, 0);
    this.writeInt32(this.offset() - offset + SIZEOF_INT);
  }
  /**
   * Start encoding a new object in the buffer.  Users will not usually need to
   * call this directly. The FlatBuffers compiler will generate helper methods
   * that call this method internally.
   */
  startObject(numfields) {
    this.notNested();
    if (this.vtable == null) {
      this.vtable = [];
    }
    this.vtable_in_use = numfields;
    for (let i = 0; i < numfields; i++) {
      this.vtable[i] = 0;
    }
    this.isNested = true;
    this.object_start = this.offset();
  }
  /**
   * Finish off writing the object that is under construction.
   *
   * @returns The offset to the object inside `dataBuffer`
   */
  endObject() {
    if (this.vtable == null || !this.isNested) {
      throw new Error("FlatBuffers: endObject called without startObject");
    }
    this.addInt32(0);
    const vtableloc = this.offset();
    let i = this.vtable_in_use - 1;
    for (; i >= 0 && this.vtable[i] == 0; i--) {
    }
    const trimmed_size = i + 1;
    for (; i >= 0; i--) {
      this.addInt16(this.vtable[i] != 0 ? vtableloc - this.vtable[i] : 0);
    }
    const standard_fields = 2;
    this.addInt16(vtableloc - this.object_start);
    const len = (trimmed_size + standard_fields) * SIZEOF_SHORT;
    this.addInt16(len);
    let existing_vtable = 0;
    const vt1 = this.space;
    outer_loop: for (i = 0; i < this.vtables.length; i++) {
      const vt2 = this.bb.capacity() - this.vtables[i];
      if (len == this.bb.readInt16(vt2)) {
        for (let j = SIZEOF_SHORT; j < len; j += SIZEOF_SHORT) {
          if (this.bb.readInt16(vt1 + j) != this.bb.readInt16(vt2 + j)) {
            continue outer_loop;
          }
        }
        existing_vtable = this.vtables[i];
        break;
      }
    }
    if (existing_vtable) {
      this.space = this.bb.capacity() - vtableloc;
      this.bb.writeInt32(this.space, existing_vtable - vtableloc);
    } else {
      this.vtables.push(this.offset());
      this.bb.writeInt32(this.bb.capacity() - vtableloc, this.offset() - vtableloc);
    }
    this.isNested = false;
    return vtableloc;
  }
  /**
   * Finalize a buffer, poiting to the given `root_table`.
   */
  finish(root_table, opt_file_identifier, opt_size_prefix) {
    const size_prefix = opt_size_prefix ? SIZE_PREFIX_LENGTH : 0;
    if (opt_file_identifier) {
      const file_identifier = opt_file_identifier;
      this.prep(this.minalign, SIZEOF_INT + FILE_IDENTIFIER_LENGTH + size_prefix);
      if (file_identifier.length != FILE_IDENTIFIER_LENGTH) {
        throw new TypeError("FlatBuffers: file identifier must be length " + FILE_IDENTIFIER_LENGTH);
      }
      for (let i = FILE_IDENTIFIER_LENGTH - 1; i >= 0; i--) {
        this.writeInt8(file_identifier.charCodeAt(i));
      }
    }
    this.prep(this.minalign, SIZEOF_INT + size_prefix);
    this.addOffset(root_table);
    if (size_prefix) {
      this.addInt32(this.bb.capacity() - this.space);
    }
    this.bb.setPosition(this.space);
  }
  /**
   * Finalize a size prefixed buffer, pointing to the given `root_table`.
   */
  finishSizePrefixed(root_table, opt_file_identifier) {
    this.finish(root_table, opt_file_identifier, true);
  }
  /**
   * This checks a required field has been set in a given table that has
   * just been constructed.
   */
  requiredField(table, field2) {
    const table_start = this.bb.capacity() - table;
    const vtable_start = table_start - this.bb.readInt32(table_start);
    const ok = field2 < this.bb.readInt16(vtable_start) && this.bb.readInt16(vtable_start + field2) != 0;
    if (!ok) {
      throw new TypeError("FlatBuffers: field " + field2 + " must be set");
    }
  }
  /**
   * Start a new array/vector of objects.  Users usually will not call
   * this directly. The FlatBuffers compiler will create a start/end
   * method for vector types in generated code.
   *
   * @param elem_size The size of each element in the array
   * @param num_elems The number of elements in the array
   * @param alignment The alignment of the array
   */
  startVector(elem_size, num_elems, alignment) {
    this.notNested();
    this.vector_num_elems = num_elems;
    this.prep(SIZEOF_INT, elem_size * num_elems);
    this.prep(alignment, elem_size * num_elems);
  }
  /**
   * Finish off the creation of an array and all its elements. The array must be
   * created with `startVector`.
   *
   * @returns The offset at which the newly created array
   * starts.
   */
  endVector() {
    this.writeInt32(this.vector_num_elems);
    return this.offset();
  }
  /**
   * Encode the string `s` in the buffer using UTF-8. If the string passed has
   * already been seen, we return the offset of the already written string
   *
   * @param s The string to encode
   * @return The offset in the buffer where the encoded string starts
   */
  createSharedString(s) {
    if (!s) {
      return 0;
    }
    if (!this.string_maps) {
      this.string_maps = /* @__PURE__ */ new Map();
    }
    if (this.string_maps.has(s)) {
      return this.string_maps.get(s);
    }
    const offset = this.createString(s);
    this.string_maps.set(s, offset);
    return offset;
  }
  /**
   * Encode the string `s` in the buffer using UTF-8. If a Uint8Array is passed
   * instead of a string, it is assumed to contain valid UTF-8 encoded data.
   *
   * @param s The string to encode
   * @return The offset in the buffer where the encoded string starts
   */
  createString(s) {
    if (s === null || s === void 0) {
      return 0;
    }
    let utf8;
    if (s instanceof Uint8Array) {
      utf8 = s;
    } else {
      utf8 = this.text_encoder.encode(s);
    }
    this.addInt8(0);
    this.startVector(1, utf8.length, 1);
    this.bb.setPosition(this.space -= utf8.length);
    this.bb.bytes().set(utf8, this.space);
    return this.endVector();
  }
  /**
   * Create a byte vector.
   *
   * @param v The bytes to add
   * @returns The offset in the buffer where the byte vector starts
   */
  createByteVector(v) {
    if (v === null || v === void 0) {
      return 0;
    }
    this.startVector(1, v.length, 1);
    this.bb.setPosition(this.space -= v.length);
    this.bb.bytes().set(v, this.space);
    return this.endVector();
  }
  /**
   * A helper function to pack an object
   *
   * @returns offset of obj
   */
  createObjectOffset(obj) {
    if (obj === null) {
      return 0;
    }
    if (typeof obj === "string") {
      return this.createString(obj);
    } else {
      return obj.pack(this);
    }
  }
  /**
   * A helper function to pack a list of object
   *
   * @returns list of offsets of each non null object
   */
  createObjectOffsetList(list) {
    const ret = [];
    for (let i = 0; i < list.length; ++i) {
      const val = list[i];
      if (val !== null) {
        ret.push(this.createObjectOffset(val));
      } else {
        throw new TypeError("FlatBuffers: Argument for createObjectOffsetList cannot contain null.");
      }
    }
    return ret;
  }
  createStructOffsetList(list, startFunc) {
    startFunc(this, list.length);
    this.createObjectOffsetList(list.slice().reverse());
    return this.endVector();
  }
};

// ../clients/ts/src/frame.ts
var ProtocolError = class extends Error {
  /**
   * @param bodyType the message type the frame claimed, when it got that far; a frame
   *   that claimed to be a Snapshot and failed leaves the mirror behind the server.
   */
  constructor(message, bodyType = null) {
    super(message);
    this.bodyType = bodyType;
    this.name = "ProtocolError";
  }
};
var CheckedByteBuffer = class extends ByteBuffer {
  check(offset, size) {
    if (!Number.isInteger(offset) || offset < 0 || size < 0 || offset + size > this.capacity()) {
      throw new ProtocolError(`read of ${size} bytes at offset ${offset} is outside the ${this.capacity()}-byte frame`);
    }
  }
  readUint8(offset) {
    this.check(offset, 1);
    return super.readUint8(offset);
  }
  readUint16(offset) {
    this.check(offset, 2);
    return super.readUint16(offset);
  }
  readInt32(offset) {
    this.check(offset, 4);
    return super.readInt32(offset);
  }
  /** A string, whose bytes must lie within the frame (not silently cut at its end). */
  __string(offset, encoding) {
    const start = offset + this.readInt32(offset);
    this.check(start + 4, this.readInt32(start));
    return super.__string(offset, encoding);
  }
};

// ../clients/ts/src/generated/tickwire/actor-columns.ts
var ActorColumns = class _ActorColumns {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsActorColumns(bb, obj) {
    return (obj || new _ActorColumns()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsActorColumns(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _ActorColumns()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  /**
   * Network ids, ascending, as LEB128 varint gaps: the first from 0, each next from
   * the one before.
   */
  ids(index) {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  idsLength() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  idsArray() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Position in steps (see `Settings.position_steps_per_unit`).
   */
  x(index) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readInt32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
  }
  xLength() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  xArray() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? new Int32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  y(index) {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.readInt32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
  }
  yLength() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  yArray() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? new Int32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Velocity in steps per second.
   */
  vx(index) {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? this.bb.readInt16(this.bb.__vector(this.bb_pos + offset) + index * 2) : 0;
  }
  vxLength() {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  vxArray() {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? new Int16Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  vy(index) {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? this.bb.readInt16(this.bb.__vector(this.bb_pos + offset) + index * 2) : 0;
  }
  vyLength() {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  vyArray() {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? new Int16Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  kinds(index) {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : null;
  }
  kindsLength() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  kindsArray() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Per actor, which of its gameplay fields are non-zero (bit i: slot i). Absent when no
   * actor has any.
   */
  fieldMasks(index) {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  fieldMasksLength() {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  fieldMasksArray() {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * The non-zero field values, actor by actor, slot by slot.
   */
  fieldValues(index) {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? this.bb.readInt32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
  }
  fieldValuesLength() {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  fieldValuesArray() {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? new Int32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  static startActorColumns(builder) {
    builder.startObject(8);
  }
  static addIds(builder, idsOffset) {
    builder.addFieldOffset(0, idsOffset, 0);
  }
  static createIdsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startIdsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addX(builder, xOffset) {
    builder.addFieldOffset(1, xOffset, 0);
  }
  static createXVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt32(data[i]);
    }
    return builder.endVector();
  }
  static startXVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static addY(builder, yOffset) {
    builder.addFieldOffset(2, yOffset, 0);
  }
  static createYVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt32(data[i]);
    }
    return builder.endVector();
  }
  static startYVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static addVx(builder, vxOffset) {
    builder.addFieldOffset(3, vxOffset, 0);
  }
  static createVxVector(builder, data) {
    builder.startVector(2, data.length, 2);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt16(data[i]);
    }
    return builder.endVector();
  }
  static startVxVector(builder, numElems) {
    builder.startVector(2, numElems, 2);
  }
  static addVy(builder, vyOffset) {
    builder.addFieldOffset(4, vyOffset, 0);
  }
  static createVyVector(builder, data) {
    builder.startVector(2, data.length, 2);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt16(data[i]);
    }
    return builder.endVector();
  }
  static startVyVector(builder, numElems) {
    builder.startVector(2, numElems, 2);
  }
  static addKinds(builder, kindsOffset) {
    builder.addFieldOffset(5, kindsOffset, 0);
  }
  static createKindsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startKindsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addFieldMasks(builder, fieldMasksOffset) {
    builder.addFieldOffset(6, fieldMasksOffset, 0);
  }
  static createFieldMasksVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startFieldMasksVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addFieldValues(builder, fieldValuesOffset) {
    builder.addFieldOffset(7, fieldValuesOffset, 0);
  }
  static createFieldValuesVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt32(data[i]);
    }
    return builder.endVector();
  }
  static startFieldValuesVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static endActorColumns(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createActorColumns(builder, idsOffset, xOffset, yOffset, vxOffset, vyOffset, kindsOffset, fieldMasksOffset, fieldValuesOffset) {
    _ActorColumns.startActorColumns(builder);
    _ActorColumns.addIds(builder, idsOffset);
    _ActorColumns.addX(builder, xOffset);
    _ActorColumns.addY(builder, yOffset);
    _ActorColumns.addVx(builder, vxOffset);
    _ActorColumns.addVy(builder, vyOffset);
    _ActorColumns.addKinds(builder, kindsOffset);
    _ActorColumns.addFieldMasks(builder, fieldMasksOffset);
    _ActorColumns.addFieldValues(builder, fieldValuesOffset);
    return _ActorColumns.endActorColumns(builder);
  }
};

// ../clients/ts/src/generated/tickwire/full-snapshot-request.ts
var FullSnapshotRequest = class _FullSnapshotRequest {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsFullSnapshotRequest(bb, obj) {
    return (obj || new _FullSnapshotRequest()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsFullSnapshotRequest(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _FullSnapshotRequest()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static startFullSnapshotRequest(builder) {
    builder.startObject(0);
  }
  static endFullSnapshotRequest(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createFullSnapshotRequest(builder) {
    _FullSnapshotRequest.startFullSnapshotRequest(builder);
    return _FullSnapshotRequest.endFullSnapshotRequest(builder);
  }
};

// ../clients/ts/src/generated/tickwire/hello.ts
var Hello = class _Hello {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsHello(bb, obj) {
    return (obj || new _Hello()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsHello(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Hello()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  protocolVersion() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  authToken(optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
  }
  /**
   * From an earlier `Welcome`: reattach to that session's actor if it is still within
   * the server's grace window. Works once; an unknown or expired token starts afresh.
   */
  resumeToken(index) {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  resumeTokenLength() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  resumeTokenArray() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Ask for a `SnapshotTiming` before every snapshot: for load tools and latency
   * monitoring, at 24 bytes per snapshot. Browsers leave it off.
   */
  timing() {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? !!this.bb.readInt8(this.bb_pos + offset) : false;
  }
  seat(optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
  }
  room(optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
  }
  static startHello(builder) {
    builder.startObject(6);
  }
  static addProtocolVersion(builder, protocolVersion) {
    builder.addFieldInt16(0, protocolVersion, 0);
  }
  static addAuthToken(builder, authTokenOffset) {
    builder.addFieldOffset(1, authTokenOffset, 0);
  }
  static addResumeToken(builder, resumeTokenOffset) {
    builder.addFieldOffset(2, resumeTokenOffset, 0);
  }
  static createResumeTokenVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startResumeTokenVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addTiming(builder, timing) {
    builder.addFieldInt8(3, +timing, 0);
  }
  static addSeat(builder, seatOffset) {
    builder.addFieldOffset(4, seatOffset, 0);
  }
  static addRoom(builder, roomOffset) {
    builder.addFieldOffset(5, roomOffset, 0);
  }
  static endHello(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createHello(builder, protocolVersion, authTokenOffset, resumeTokenOffset, timing, seatOffset, roomOffset) {
    _Hello.startHello(builder);
    _Hello.addProtocolVersion(builder, protocolVersion);
    _Hello.addAuthToken(builder, authTokenOffset);
    _Hello.addResumeToken(builder, resumeTokenOffset);
    _Hello.addTiming(builder, timing);
    _Hello.addSeat(builder, seatOffset);
    _Hello.addRoom(builder, roomOffset);
    return _Hello.endHello(builder);
  }
};

// ../clients/ts/src/generated/tickwire/vec2.ts
var Vec2 = class {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  x() {
    return this.bb.readFloat32(this.bb_pos);
  }
  y() {
    return this.bb.readFloat32(this.bb_pos + 4);
  }
  static sizeOf() {
    return 8;
  }
  static createVec2(builder, x, y) {
    builder.prep(4, 8);
    builder.writeFloat32(y);
    builder.writeFloat32(x);
    return builder.offset();
  }
};

// ../clients/ts/src/generated/tickwire/input.ts
var Input = class _Input {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsInput(bb, obj) {
    return (obj || new _Input()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsInput(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Input()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  /**
   * Increases by one per input; lets the server drop stale or replayed inputs.
   */
  sequence() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  /**
   * Desired move direction; its length is clamped to 1 by the server.
   */
  direction(obj) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? (obj || new Vec2()).__init(this.bb_pos + offset, this.bb) : null;
  }
  /**
   * The tick of the newest snapshot the client has applied (0: none yet).
   */
  ackTick() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  static startInput(builder) {
    builder.startObject(3);
  }
  static addSequence(builder, sequence) {
    builder.addFieldInt32(0, sequence, 0);
  }
  static addDirection(builder, directionOffset) {
    builder.addFieldStruct(1, directionOffset, 0);
  }
  static addAckTick(builder, ackTick) {
    builder.addFieldInt32(2, ackTick, 0);
  }
  static endInput(builder) {
    const offset = builder.endObject();
    return offset;
  }
};

// ../clients/ts/src/generated/tickwire/pong.ts
var Pong = class _Pong {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsPong(bb, obj) {
    return (obj || new _Pong()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsPong(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Pong()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  nonce() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  static startPong(builder) {
    builder.startObject(1);
  }
  static addNonce(builder, nonce) {
    builder.addFieldInt32(0, nonce, 0);
  }
  static endPong(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createPong(builder, nonce) {
    _Pong.startPong(builder);
    _Pong.addNonce(builder, nonce);
    return _Pong.endPong(builder);
  }
};

// ../clients/ts/src/generated/tickwire/snapshot-rate-request.ts
var SnapshotRateRequest = class _SnapshotRateRequest {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsSnapshotRateRequest(bb, obj) {
    return (obj || new _SnapshotRateRequest()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsSnapshotRateRequest(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _SnapshotRateRequest()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  /**
   * Most snapshots per second this client wants; 0 lifts the cap.
   */
  maxPerSecond() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  static startSnapshotRateRequest(builder) {
    builder.startObject(1);
  }
  static addMaxPerSecond(builder, maxPerSecond) {
    builder.addFieldInt16(0, maxPerSecond, 0);
  }
  static endSnapshotRateRequest(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createSnapshotRateRequest(builder, maxPerSecond) {
    _SnapshotRateRequest.startSnapshotRateRequest(builder);
    _SnapshotRateRequest.addMaxPerSecond(builder, maxPerSecond);
    return _SnapshotRateRequest.endSnapshotRateRequest(builder);
  }
};

// ../clients/ts/src/generated/tickwire/client-message.ts
var ClientMessage = class _ClientMessage {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsClientMessage(bb, obj) {
    return (obj || new _ClientMessage()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsClientMessage(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _ClientMessage()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  bodyType() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* NONE */;
  }
  body(obj) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.__union(obj, this.bb_pos + offset) : null;
  }
  static startClientMessage(builder) {
    builder.startObject(2);
  }
  static addBodyType(builder, bodyType) {
    builder.addFieldInt8(0, bodyType, 0 /* NONE */);
  }
  static addBody(builder, bodyOffset) {
    builder.addFieldOffset(1, bodyOffset, 0);
  }
  static endClientMessage(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createClientMessage(builder, bodyType, bodyOffset) {
    _ClientMessage.startClientMessage(builder);
    _ClientMessage.addBodyType(builder, bodyType);
    _ClientMessage.addBody(builder, bodyOffset);
    return _ClientMessage.endClientMessage(builder);
  }
};

// ../clients/ts/src/generated/tickwire/disconnect.ts
var Disconnect = class _Disconnect {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsDisconnect(bb, obj) {
    return (obj || new _Disconnect()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsDisconnect(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Disconnect()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  code() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  reason(optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
  }
  static startDisconnect(builder) {
    builder.startObject(2);
  }
  static addCode(builder, code) {
    builder.addFieldInt16(0, code, 0);
  }
  static addReason(builder, reasonOffset) {
    builder.addFieldOffset(1, reasonOffset, 0);
  }
  static endDisconnect(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createDisconnect(builder, code, reasonOffset) {
    _Disconnect.startDisconnect(builder);
    _Disconnect.addCode(builder, code);
    _Disconnect.addReason(builder, reasonOffset);
    return _Disconnect.endDisconnect(builder);
  }
};

// ../clients/ts/src/generated/tickwire/game-event.ts
var GameEvent = class {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  /**
   * Index into `Welcome.event_names`.
   */
  kind() {
    return this.bb.readUint16(this.bb_pos);
  }
  /**
   * The actor it is about (0: none).
   */
  actor() {
    return this.bb.readUint32(this.bb_pos + 4);
  }
  /**
   * A second actor it involves (0: none).
   */
  other() {
    return this.bb.readUint32(this.bb_pos + 8);
  }
  /**
   * A number that goes with it (points, damage...).
   */
  value() {
    return this.bb.readInt32(this.bb_pos + 12);
  }
  static sizeOf() {
    return 16;
  }
  static createGameEvent(builder, kind, actor, other, value) {
    builder.prep(4, 16);
    builder.writeInt32(value);
    builder.writeInt32(other);
    builder.writeInt32(actor);
    builder.pad(2);
    builder.writeInt16(kind);
    return builder.offset();
  }
};

// ../clients/ts/src/generated/tickwire/game-events.ts
var GameEvents = class _GameEvents {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsGameEvents(bb, obj) {
    return (obj || new _GameEvents()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsGameEvents(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _GameEvents()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  tick() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  events(index, obj) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? (obj || new GameEvent()).__init(this.bb.__vector(this.bb_pos + offset) + index * 16, this.bb) : null;
  }
  eventsLength() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  static startGameEvents(builder) {
    builder.startObject(2);
  }
  static addTick(builder, tick) {
    builder.addFieldInt32(0, tick, 0);
  }
  static addEvents(builder, eventsOffset) {
    builder.addFieldOffset(1, eventsOffset, 0);
  }
  static startEventsVector(builder, numElems) {
    builder.startVector(16, numElems, 4);
  }
  static endGameEvents(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createGameEvents(builder, tick, eventsOffset) {
    _GameEvents.startGameEvents(builder);
    _GameEvents.addTick(builder, tick);
    _GameEvents.addEvents(builder, eventsOffset);
    return _GameEvents.endGameEvents(builder);
  }
};

// ../clients/ts/src/generated/tickwire/input-ack.ts
var InputAck = class _InputAck {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsInputAck(bb, obj) {
    return (obj || new _InputAck()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsInputAck(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _InputAck()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  sequence() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  tick() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  static startInputAck(builder) {
    builder.startObject(2);
  }
  static addSequence(builder, sequence) {
    builder.addFieldInt32(0, sequence, 0);
  }
  static addTick(builder, tick) {
    builder.addFieldInt32(1, tick, 0);
  }
  static endInputAck(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createInputAck(builder, sequence, tick) {
    _InputAck.startInputAck(builder);
    _InputAck.addSequence(builder, sequence);
    _InputAck.addTick(builder, tick);
    return _InputAck.endInputAck(builder);
  }
};

// ../clients/ts/src/generated/tickwire/ping.ts
var Ping = class _Ping {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsPing(bb, obj) {
    return (obj || new _Ping()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsPing(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Ping()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  nonce() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  /**
   * The last round-trip time the server measured for this session, in microseconds.
   */
  rttUs() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  static startPing(builder) {
    builder.startObject(2);
  }
  static addNonce(builder, nonce) {
    builder.addFieldInt32(0, nonce, 0);
  }
  static addRttUs(builder, rttUs) {
    builder.addFieldInt32(1, rttUs, 0);
  }
  static endPing(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createPing(builder, nonce, rttUs) {
    _Ping.startPing(builder);
    _Ping.addNonce(builder, nonce);
    _Ping.addRttUs(builder, rttUs);
    return _Ping.endPing(builder);
  }
};

// ../clients/ts/src/generated/tickwire/settings.ts
var Settings = class _Settings {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsSettings(bb, obj) {
    return (obj || new _Settings()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsSettings(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Settings()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  /**
   * Simulation ticks per second.
   */
  tickRateHz() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  /**
   * A snapshot is sent every N ticks; while the client already holds the newest state
   * it is skipped, with a heartbeat with each ping. A gap in snapshot ticks
   * longer than the interval means nothing changed in between.
   */
  broadcastEvery() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  /**
   * Clients send an input every N ticks.
   */
  inputEvery() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  /**
   * Actor speed in world units per second, independent of the tick rate.
   */
  movementSpeed() {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? this.bb.readFloat32(this.bb_pos + offset) : 0;
  }
  /**
   * Client render smoothing factor in [0, 1]; 0 snaps, 1 never moves.
   */
  smoothing() {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? this.bb.readFloat32(this.bb_pos + offset) : 0;
  }
  /**
   * How far behind the newest snapshot clients render other actors, in milliseconds.
   */
  interpolationDelayMs() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  /**
   * Position quantisation: positions travel as whole steps of 1/N world units.
   */
  positionStepsPerUnit() {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  static startSettings(builder) {
    builder.startObject(7);
  }
  static addTickRateHz(builder, tickRateHz) {
    builder.addFieldInt16(0, tickRateHz, 0);
  }
  static addBroadcastEvery(builder, broadcastEvery) {
    builder.addFieldInt16(1, broadcastEvery, 0);
  }
  static addInputEvery(builder, inputEvery) {
    builder.addFieldInt16(2, inputEvery, 0);
  }
  static addMovementSpeed(builder, movementSpeed) {
    builder.addFieldFloat32(3, movementSpeed, 0);
  }
  static addSmoothing(builder, smoothing) {
    builder.addFieldFloat32(4, smoothing, 0);
  }
  static addInterpolationDelayMs(builder, interpolationDelayMs) {
    builder.addFieldInt16(5, interpolationDelayMs, 0);
  }
  static addPositionStepsPerUnit(builder, positionStepsPerUnit) {
    builder.addFieldInt16(6, positionStepsPerUnit, 0);
  }
  static endSettings(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createSettings(builder, tickRateHz, broadcastEvery, inputEvery, movementSpeed, smoothing, interpolationDelayMs, positionStepsPerUnit) {
    _Settings.startSettings(builder);
    _Settings.addTickRateHz(builder, tickRateHz);
    _Settings.addBroadcastEvery(builder, broadcastEvery);
    _Settings.addInputEvery(builder, inputEvery);
    _Settings.addMovementSpeed(builder, movementSpeed);
    _Settings.addSmoothing(builder, smoothing);
    _Settings.addInterpolationDelayMs(builder, interpolationDelayMs);
    _Settings.addPositionStepsPerUnit(builder, positionStepsPerUnit);
    return _Settings.endSettings(builder);
  }
};

// ../clients/ts/src/generated/tickwire/snapshot.ts
var Snapshot = class _Snapshot {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsSnapshot(bb, obj) {
    return (obj || new _Snapshot()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsSnapshot(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Snapshot()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  tick() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  /**
   * 0: a full snapshot (`spawned` holds every actor; drop what you had). Otherwise how
   * many ticks before `tick` the snapshot this delta applies to is: the baseline is
   * `tick - baseline_age`. (An age, not a tick, to keep every delta's header small.)
   */
  baselineAge() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  /**
   * The quantisation of every position and velocity in this snapshot.
   */
  stepsPerUnit() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  spawned(obj) {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? (obj || new ActorColumns()).__init(this.bb.__indirect(this.bb_pos + offset), this.bb) : null;
  }
  /**
   * Actors that moved at most 127 steps on each axis: position += (dx, dy).
   */
  movedIds(index) {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  movedIdsLength() {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  movedIdsArray() {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  movedDx(index) {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.readInt8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  movedDxLength() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  movedDxArray() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? new Int8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  movedDy(index) {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? this.bb.readInt8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  movedDyLength() {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  movedDyArray() {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? new Int8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Actors that moved further: their new position.
   */
  jumpedIds(index) {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  jumpedIdsLength() {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  jumpedIdsArray() {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  jumpedX(index) {
    const offset = this.bb.__offset(this.bb_pos, 20);
    return offset ? this.bb.readInt32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
  }
  jumpedXLength() {
    const offset = this.bb.__offset(this.bb_pos, 20);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  jumpedXArray() {
    const offset = this.bb.__offset(this.bb_pos, 20);
    return offset ? new Int32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  jumpedY(index) {
    const offset = this.bb.__offset(this.bb_pos, 22);
    return offset ? this.bb.readInt32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
  }
  jumpedYLength() {
    const offset = this.bb.__offset(this.bb_pos, 22);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  jumpedYArray() {
    const offset = this.bb.__offset(this.bb_pos, 22);
    return offset ? new Int32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Actors whose velocity changed: their new velocity.
   */
  turnedIds(index) {
    const offset = this.bb.__offset(this.bb_pos, 24);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  turnedIdsLength() {
    const offset = this.bb.__offset(this.bb_pos, 24);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  turnedIdsArray() {
    const offset = this.bb.__offset(this.bb_pos, 24);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  turnedVx(index) {
    const offset = this.bb.__offset(this.bb_pos, 26);
    return offset ? this.bb.readInt16(this.bb.__vector(this.bb_pos + offset) + index * 2) : 0;
  }
  turnedVxLength() {
    const offset = this.bb.__offset(this.bb_pos, 26);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  turnedVxArray() {
    const offset = this.bb.__offset(this.bb_pos, 26);
    return offset ? new Int16Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  turnedVy(index) {
    const offset = this.bb.__offset(this.bb_pos, 28);
    return offset ? this.bb.readInt16(this.bb.__vector(this.bb_pos + offset) + index * 2) : 0;
  }
  turnedVyLength() {
    const offset = this.bb.__offset(this.bb_pos, 28);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  turnedVyArray() {
    const offset = this.bb.__offset(this.bb_pos, 28);
    return offset ? new Int16Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  despawnedIds(index) {
    const offset = this.bb.__offset(this.bb_pos, 30);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  despawnedIdsLength() {
    const offset = this.bb.__offset(this.bb_pos, 30);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  despawnedIdsArray() {
    const offset = this.bb.__offset(this.bb_pos, 30);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Actors whose gameplay fields changed, with which slots changed (bit i: slot i) and
   * their new values, actor by actor, slot by slot.
   */
  refieldedIds(index) {
    const offset = this.bb.__offset(this.bb_pos, 32);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  refieldedIdsLength() {
    const offset = this.bb.__offset(this.bb_pos, 32);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  refieldedIdsArray() {
    const offset = this.bb.__offset(this.bb_pos, 32);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  refieldedMasks(index) {
    const offset = this.bb.__offset(this.bb_pos, 34);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  refieldedMasksLength() {
    const offset = this.bb.__offset(this.bb_pos, 34);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  refieldedMasksArray() {
    const offset = this.bb.__offset(this.bb_pos, 34);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  refieldedValues(index) {
    const offset = this.bb.__offset(this.bb_pos, 36);
    return offset ? this.bb.readInt32(this.bb.__vector(this.bb_pos + offset) + index * 4) : 0;
  }
  refieldedValuesLength() {
    const offset = this.bb.__offset(this.bb_pos, 36);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  refieldedValuesArray() {
    const offset = this.bb.__offset(this.bb_pos, 36);
    return offset ? new Int32Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  static startSnapshot(builder) {
    builder.startObject(17);
  }
  static addTick(builder, tick) {
    builder.addFieldInt32(0, tick, 0);
  }
  static addBaselineAge(builder, baselineAge) {
    builder.addFieldInt16(1, baselineAge, 0);
  }
  static addStepsPerUnit(builder, stepsPerUnit) {
    builder.addFieldInt16(2, stepsPerUnit, 0);
  }
  static addSpawned(builder, spawnedOffset) {
    builder.addFieldOffset(3, spawnedOffset, 0);
  }
  static addMovedIds(builder, movedIdsOffset) {
    builder.addFieldOffset(4, movedIdsOffset, 0);
  }
  static createMovedIdsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startMovedIdsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addMovedDx(builder, movedDxOffset) {
    builder.addFieldOffset(5, movedDxOffset, 0);
  }
  static createMovedDxVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startMovedDxVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addMovedDy(builder, movedDyOffset) {
    builder.addFieldOffset(6, movedDyOffset, 0);
  }
  static createMovedDyVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startMovedDyVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addJumpedIds(builder, jumpedIdsOffset) {
    builder.addFieldOffset(7, jumpedIdsOffset, 0);
  }
  static createJumpedIdsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startJumpedIdsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addJumpedX(builder, jumpedXOffset) {
    builder.addFieldOffset(8, jumpedXOffset, 0);
  }
  static createJumpedXVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt32(data[i]);
    }
    return builder.endVector();
  }
  static startJumpedXVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static addJumpedY(builder, jumpedYOffset) {
    builder.addFieldOffset(9, jumpedYOffset, 0);
  }
  static createJumpedYVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt32(data[i]);
    }
    return builder.endVector();
  }
  static startJumpedYVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static addTurnedIds(builder, turnedIdsOffset) {
    builder.addFieldOffset(10, turnedIdsOffset, 0);
  }
  static createTurnedIdsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startTurnedIdsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addTurnedVx(builder, turnedVxOffset) {
    builder.addFieldOffset(11, turnedVxOffset, 0);
  }
  static createTurnedVxVector(builder, data) {
    builder.startVector(2, data.length, 2);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt16(data[i]);
    }
    return builder.endVector();
  }
  static startTurnedVxVector(builder, numElems) {
    builder.startVector(2, numElems, 2);
  }
  static addTurnedVy(builder, turnedVyOffset) {
    builder.addFieldOffset(12, turnedVyOffset, 0);
  }
  static createTurnedVyVector(builder, data) {
    builder.startVector(2, data.length, 2);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt16(data[i]);
    }
    return builder.endVector();
  }
  static startTurnedVyVector(builder, numElems) {
    builder.startVector(2, numElems, 2);
  }
  static addDespawnedIds(builder, despawnedIdsOffset) {
    builder.addFieldOffset(13, despawnedIdsOffset, 0);
  }
  static createDespawnedIdsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startDespawnedIdsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addRefieldedIds(builder, refieldedIdsOffset) {
    builder.addFieldOffset(14, refieldedIdsOffset, 0);
  }
  static createRefieldedIdsVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startRefieldedIdsVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addRefieldedMasks(builder, refieldedMasksOffset) {
    builder.addFieldOffset(15, refieldedMasksOffset, 0);
  }
  static createRefieldedMasksVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startRefieldedMasksVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addRefieldedValues(builder, refieldedValuesOffset) {
    builder.addFieldOffset(16, refieldedValuesOffset, 0);
  }
  static createRefieldedValuesVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt32(data[i]);
    }
    return builder.endVector();
  }
  static startRefieldedValuesVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static endSnapshot(builder) {
    const offset = builder.endObject();
    return offset;
  }
};

// ../clients/ts/src/generated/tickwire/snapshot-rate.ts
var SnapshotRate = class _SnapshotRate {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsSnapshotRate(bb, obj) {
    return (obj || new _SnapshotRate()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsSnapshotRate(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _SnapshotRate()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  /**
   * A snapshot every N ticks (a multiple of `Settings.broadcast_every`).
   */
  everyTicks() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint16(this.bb_pos + offset) : 0;
  }
  reason() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* None */;
  }
  static startSnapshotRate(builder) {
    builder.startObject(2);
  }
  static addEveryTicks(builder, everyTicks) {
    builder.addFieldInt16(0, everyTicks, 0);
  }
  static addReason(builder, reason) {
    builder.addFieldInt8(1, reason, 0 /* None */);
  }
  static endSnapshotRate(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static createSnapshotRate(builder, everyTicks, reason) {
    _SnapshotRate.startSnapshotRate(builder);
    _SnapshotRate.addEveryTicks(builder, everyTicks);
    _SnapshotRate.addReason(builder, reason);
    return _SnapshotRate.endSnapshotRate(builder);
  }
};

// ../clients/ts/src/generated/tickwire/welcome.ts
var Welcome = class _Welcome {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsWelcome(bb, obj) {
    return (obj || new _Welcome()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsWelcome(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _Welcome()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  sessionId() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint64(this.bb_pos + offset) : BigInt("0");
  }
  /**
   * Network id of the actor this client controls.
   */
  actorId() {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  /**
   * Server tick when the session joined; every snapshot after it holds the own actor.
   */
  tick() {
    const offset = this.bb.__offset(this.bb_pos, 8);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  settings(obj) {
    const offset = this.bb.__offset(this.bb_pos, 10);
    return offset ? (obj || new Settings()).__init(this.bb.__indirect(this.bb_pos + offset), this.bb) : null;
  }
  /**
   * Arena size in world units; the arena spans [0, size.x] x [0, size.y].
   */
  arenaSize(obj) {
    const offset = this.bb.__offset(this.bb_pos, 12);
    return offset ? (obj || new Vec2()).__init(this.bb_pos + offset, this.bb) : null;
  }
  /**
   * Secret that lets this client resume this session after a dropped connection.
   */
  resumeToken(index) {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.readUint8(this.bb.__vector(this.bb_pos + offset) + index) : 0;
  }
  resumeTokenLength() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  resumeTokenArray() {
    const offset = this.bb.__offset(this.bb_pos, 14);
    return offset ? new Uint8Array(this.bb.bytes().buffer, this.bb.bytes().byteOffset + this.bb.__vector(this.bb_pos + offset), this.bb.__vector_len(this.bb_pos + offset)) : null;
  }
  /**
   * Whether this session resumed an earlier one (same actor) rather than starting afresh.
   */
  resumed() {
    const offset = this.bb.__offset(this.bb_pos, 16);
    return offset ? !!this.bb.readInt8(this.bb_pos + offset) : false;
  }
  fieldNames(index, optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? this.bb.__string(this.bb.__vector(this.bb_pos + offset) + index * 4, optionalEncoding) : null;
  }
  fieldNamesLength() {
    const offset = this.bb.__offset(this.bb_pos, 18);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  eventNames(index, optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 20);
    return offset ? this.bb.__string(this.bb.__vector(this.bb_pos + offset) + index * 4, optionalEncoding) : null;
  }
  eventNamesLength() {
    const offset = this.bb.__offset(this.bb_pos, 20);
    return offset ? this.bb.__vector_len(this.bb_pos + offset) : 0;
  }
  room(optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 22);
    return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
  }
  roomName(optionalEncoding) {
    const offset = this.bb.__offset(this.bb_pos, 24);
    return offset ? this.bb.__string(this.bb_pos + offset, optionalEncoding) : null;
  }
  /**
   * The longest the server goes without sending this client anything, in milliseconds:
   * a `Ping` comes at least this often (every ping interval, 2 s by default, while the
   * world changes, less often while it is still, down to this). A client that hears
   * nothing for three times this should take the connection for dropped. 0: not said
   * (take 2 seconds).
   */
  quietIntervalMs() {
    const offset = this.bb.__offset(this.bb_pos, 26);
    return offset ? this.bb.readUint32(this.bb_pos + offset) : 0;
  }
  static startWelcome(builder) {
    builder.startObject(12);
  }
  static addSessionId(builder, sessionId) {
    builder.addFieldInt64(0, sessionId, BigInt("0"));
  }
  static addActorId(builder, actorId) {
    builder.addFieldInt32(1, actorId, 0);
  }
  static addTick(builder, tick) {
    builder.addFieldInt32(2, tick, 0);
  }
  static addSettings(builder, settingsOffset) {
    builder.addFieldOffset(3, settingsOffset, 0);
  }
  static addArenaSize(builder, arenaSizeOffset) {
    builder.addFieldStruct(4, arenaSizeOffset, 0);
  }
  static addResumeToken(builder, resumeTokenOffset) {
    builder.addFieldOffset(5, resumeTokenOffset, 0);
  }
  static createResumeTokenVector(builder, data) {
    builder.startVector(1, data.length, 1);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addInt8(data[i]);
    }
    return builder.endVector();
  }
  static startResumeTokenVector(builder, numElems) {
    builder.startVector(1, numElems, 1);
  }
  static addResumed(builder, resumed) {
    builder.addFieldInt8(6, +resumed, 0);
  }
  static addFieldNames(builder, fieldNamesOffset) {
    builder.addFieldOffset(7, fieldNamesOffset, 0);
  }
  static createFieldNamesVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addOffset(data[i]);
    }
    return builder.endVector();
  }
  static startFieldNamesVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static addEventNames(builder, eventNamesOffset) {
    builder.addFieldOffset(8, eventNamesOffset, 0);
  }
  static createEventNamesVector(builder, data) {
    builder.startVector(4, data.length, 4);
    for (let i = data.length - 1; i >= 0; i--) {
      builder.addOffset(data[i]);
    }
    return builder.endVector();
  }
  static startEventNamesVector(builder, numElems) {
    builder.startVector(4, numElems, 4);
  }
  static addRoom(builder, roomOffset) {
    builder.addFieldOffset(9, roomOffset, 0);
  }
  static addRoomName(builder, roomNameOffset) {
    builder.addFieldOffset(10, roomNameOffset, 0);
  }
  static addQuietIntervalMs(builder, quietIntervalMs) {
    builder.addFieldInt32(11, quietIntervalMs, 0);
  }
  static endWelcome(builder) {
    const offset = builder.endObject();
    return offset;
  }
};

// ../clients/ts/src/generated/tickwire/server-message.ts
var ServerMessage = class _ServerMessage {
  constructor() {
    this.bb = null;
    this.bb_pos = 0;
  }
  __init(i, bb) {
    this.bb_pos = i;
    this.bb = bb;
    return this;
  }
  static getRootAsServerMessage(bb, obj) {
    return (obj || new _ServerMessage()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  static getSizePrefixedRootAsServerMessage(bb, obj) {
    bb.setPosition(bb.position() + SIZE_PREFIX_LENGTH);
    return (obj || new _ServerMessage()).__init(bb.readInt32(bb.position()) + bb.position(), bb);
  }
  bodyType() {
    const offset = this.bb.__offset(this.bb_pos, 4);
    return offset ? this.bb.readUint8(this.bb_pos + offset) : 0 /* NONE */;
  }
  body(obj) {
    const offset = this.bb.__offset(this.bb_pos, 6);
    return offset ? this.bb.__union(obj, this.bb_pos + offset) : null;
  }
  static startServerMessage(builder) {
    builder.startObject(2);
  }
  static addBodyType(builder, bodyType) {
    builder.addFieldInt8(0, bodyType, 0 /* NONE */);
  }
  static addBody(builder, bodyOffset) {
    builder.addFieldOffset(1, bodyOffset, 0);
  }
  static endServerMessage(builder) {
    const offset = builder.endObject();
    return offset;
  }
  static finishServerMessageBuffer(builder, offset) {
    builder.finish(offset);
  }
  static finishSizePrefixedServerMessageBuffer(builder, offset) {
    builder.finish(offset, void 0, true);
  }
  static createServerMessage(builder, bodyType, bodyOffset) {
    _ServerMessage.startServerMessage(builder);
    _ServerMessage.addBodyType(builder, bodyType);
    _ServerMessage.addBody(builder, bodyOffset);
    return _ServerMessage.endServerMessage(builder);
  }
};

// ../clients/ts/src/ids.ts
var MAX_ID = 4294967295;
function readIds(count, byte) {
  const ids = [];
  let previous = 0;
  let gap = 0;
  let shift = 0;
  for (let i = 0; i < count; i++) {
    const value = byte(i);
    const bits = value & 127;
    if (shift > 28 || shift === 28 && bits > 15) {
      return `varint at byte ${i} does not fit in 32 bits`;
    }
    gap += bits * 2 ** shift;
    if ((value & 128) !== 0) {
      shift += 7;
      continue;
    }
    if (gap === 0) {
      return `zero gap at byte ${i} (ids must be strictly ascending)`;
    }
    previous += gap;
    if (previous > MAX_ID) {
      return `id at byte ${i} exceeds 2^32 - 1`;
    }
    ids.push(previous);
    gap = 0;
    shift = 0;
  }
  if (shift !== 0) {
    return "the last varint is cut off";
  }
  return Uint32Array.from(ids);
}

// ../clients/ts/src/tick.ts
var HALF = 2147483648;
function isAfter(a, b) {
  return a !== b && a - b >>> 0 < HALF;
}
function ticksBetween(a, b) {
  return a - b | 0;
}
function addTicks(tick, delta) {
  return tick + delta >>> 0;
}

// ../clients/ts/src/snapshot.ts
var FIELD_SLOTS = 4;
var SLOT_MASK = (1 << FIELD_SLOTS) - 1;
function column(what, length, rows, frameSize, make, read) {
  if (length !== rows) {
    throw new ProtocolError(`${what} has ${length} entries for ${rows} ids`);
  }
  if (length * make.BYTES_PER_ELEMENT > frameSize) {
    throw new ProtocolError(`${what} claims ${length} entries, more than the ${frameSize}-byte frame holds`);
  }
  const values = new make(length);
  for (let i = 0; i < length; i++) {
    values[i] = read(i) ?? 0;
  }
  return values;
}
function idList(what, length, frameSize, read) {
  if (length > frameSize) {
    throw new ProtocolError(`${what} claims ${length} bytes, more than the ${frameSize}-byte frame holds`);
  }
  const ids = readIds(length, (index) => read(index) ?? 0);
  if (typeof ids === "string") {
    throw new ProtocolError(`${what} is malformed: ${ids}`);
  }
  return ids;
}
function emptyColumns() {
  return {
    ids: new Uint32Array(0),
    x: new Int32Array(0),
    y: new Int32Array(0),
    vx: new Int16Array(0),
    vy: new Int16Array(0),
    kinds: new Uint8Array(0),
    fields: new Int32Array(0)
  };
}
function slotCount(mask) {
  let count = 0;
  for (let bits = mask; bits !== 0; bits &= bits - 1) {
    count++;
  }
  return count;
}
function maskedValueCount(masks) {
  let count = 0;
  for (let k = 0; k < masks.length; k++) {
    const mask = masks[k];
    if ((mask & ~SLOT_MASK) !== 0) {
      return `mask ${mask} at ${k} sets a bit above slot ${FIELD_SLOTS - 1}`;
    }
    count += slotCount(mask);
  }
  return count;
}
function maskedValues(what, masksLength, valuesLength, rows, frameSize, readMask, readValue) {
  const masks = column(what.masks, masksLength, rows, frameSize, Uint8Array, readMask);
  const count = maskedValueCount(masks);
  if (typeof count === "string") {
    throw new ProtocolError(`${what.masks} is malformed: ${count}`);
  }
  if (valuesLength !== count) {
    throw new ProtocolError(`${what.values} has ${valuesLength} entries for ${count} set mask bits`);
  }
  const values = column(what.values, valuesLength, count, frameSize, Int32Array, readValue);
  return { masks, values };
}
function expandFields(rows, masks, values) {
  const fields = new Int32Array(rows * FIELD_SLOTS);
  let v = 0;
  for (let row = 0; row < masks.length; row++) {
    for (let slot = 0; slot < FIELD_SLOTS; slot++) {
      if ((masks[row] & 1 << slot) !== 0) {
        fields[row * FIELD_SLOTS + slot] = values[v++];
      }
    }
  }
  return fields;
}
function hasField(table, field2) {
  return table.bb !== null && table.bb.__offset(table.bb_pos, 4 + 2 * field2) !== 0;
}
var FIELD_MASKS = 6;
function readSpawnedFields(columns, rows, frameSize) {
  if (!hasField(columns, FIELD_MASKS)) {
    if (columns.fieldValuesLength() !== 0) {
      throw new ProtocolError("ActorColumns.field_values has values but ActorColumns.field_masks is absent");
    }
    return new Int32Array(rows * FIELD_SLOTS);
  }
  const { masks, values } = maskedValues(
    { masks: "ActorColumns.field_masks", values: "ActorColumns.field_values" },
    columns.fieldMasksLength(),
    columns.fieldValuesLength(),
    rows,
    frameSize,
    (i) => columns.fieldMasks(i),
    (i) => columns.fieldValues(i)
  );
  return expandFields(rows, masks, values);
}
function readColumns(columns, frameSize) {
  if (columns === null) {
    return emptyColumns();
  }
  const ids = idList("ActorColumns.ids", columns.idsLength(), frameSize, (i) => columns.ids(i));
  const rows = ids.length;
  const kinds = column("ActorColumns.kinds", columns.kindsLength(), rows, frameSize, Uint8Array, (i) => columns.kinds(i));
  for (const kind of kinds) {
    if (kind !== 0 /* Npc */ && kind !== 1 /* Player */) {
      throw new ProtocolError(`ActorColumns.kinds has unknown value ${kind}`);
    }
  }
  return {
    ids,
    x: column("ActorColumns.x", columns.xLength(), rows, frameSize, Int32Array, (i) => columns.x(i)),
    y: column("ActorColumns.y", columns.yLength(), rows, frameSize, Int32Array, (i) => columns.y(i)),
    vx: column("ActorColumns.vx", columns.vxLength(), rows, frameSize, Int16Array, (i) => columns.vx(i)),
    vy: column("ActorColumns.vy", columns.vyLength(), rows, frameSize, Int16Array, (i) => columns.vy(i)),
    kinds,
    fields: readSpawnedFields(columns, rows, frameSize)
  };
}
function readSnapshot(snapshot, frameSize) {
  const s = snapshot;
  const movedIds = idList("Snapshot.moved_ids", s.movedIdsLength(), frameSize, (i) => s.movedIds(i));
  const jumpedIds = idList("Snapshot.jumped_ids", s.jumpedIdsLength(), frameSize, (i) => s.jumpedIds(i));
  const turnedIds = idList("Snapshot.turned_ids", s.turnedIdsLength(), frameSize, (i) => s.turnedIds(i));
  const refieldedIds = idList("Snapshot.refielded_ids", s.refieldedIdsLength(), frameSize, (i) => s.refieldedIds(i));
  const tick = s.tick();
  const age = s.baselineAge();
  return {
    tick,
    baselineTick: age === 0 ? null : addTicks(tick, -age),
    stepsPerUnit: s.stepsPerUnit(),
    spawned: readColumns(s.spawned(), frameSize),
    moved: {
      ids: movedIds,
      dx: column("Snapshot.moved_dx", s.movedDxLength(), movedIds.length, frameSize, Int8Array, (i) => s.movedDx(i)),
      dy: column("Snapshot.moved_dy", s.movedDyLength(), movedIds.length, frameSize, Int8Array, (i) => s.movedDy(i))
    },
    jumped: {
      ids: jumpedIds,
      x: column("Snapshot.jumped_x", s.jumpedXLength(), jumpedIds.length, frameSize, Int32Array, (i) => s.jumpedX(i)),
      y: column("Snapshot.jumped_y", s.jumpedYLength(), jumpedIds.length, frameSize, Int32Array, (i) => s.jumpedY(i))
    },
    turned: {
      ids: turnedIds,
      vx: column("Snapshot.turned_vx", s.turnedVxLength(), turnedIds.length, frameSize, Int16Array, (i) => s.turnedVx(i)),
      vy: column("Snapshot.turned_vy", s.turnedVyLength(), turnedIds.length, frameSize, Int16Array, (i) => s.turnedVy(i))
    },
    despawned: idList("Snapshot.despawned_ids", s.despawnedIdsLength(), frameSize, (i) => s.despawnedIds(i)),
    refielded: {
      ids: refieldedIds,
      ...maskedValues(
        { masks: "Snapshot.refielded_masks", values: "Snapshot.refielded_values" },
        s.refieldedMasksLength(),
        s.refieldedValuesLength(),
        refieldedIds.length,
        frameSize,
        (i) => s.refieldedMasks(i),
        (i) => s.refieldedValues(i)
      )
    }
  };
}

// ../clients/ts/src/protocol.ts
var PROTOCOL_VERSION = 8 /* Current */;
var THROTTLES = /* @__PURE__ */ new Map([
  [0 /* None */, "none"],
  [1 /* Congested */, "congested"],
  [2 /* ClientCap */, "client-cap"]
]);
function finishClientMessage(builder, bodyType, body) {
  builder.finish(ClientMessage.createClientMessage(builder, bodyType, body));
  return builder.asUint8Array().slice();
}
function encodeHello(options = {}) {
  const { protocolVersion = PROTOCOL_VERSION, authToken = null, resumeToken = null, seat = null, room = null } = options;
  const builder = new Builder(64);
  const auth = authToken ? builder.createString(authToken) : 0;
  const resume = resumeToken && resumeToken.length > 0 ? Hello.createResumeTokenVector(builder, resumeToken) : 0;
  const seatOffset = seat ? builder.createString(seat) : 0;
  const roomOffset = room ? builder.createString(room) : 0;
  const hello = Hello.createHello(builder, protocolVersion, auth, resume, false, seatOffset, roomOffset);
  return finishClientMessage(builder, 1 /* Hello */, hello);
}
function encodeInput(sequence, direction, ackTick) {
  const builder = new Builder(48);
  Input.startInput(builder);
  Input.addSequence(builder, sequence);
  Input.addDirection(builder, Vec2.createVec2(builder, direction.x, direction.y));
  builder.forceDefaults(true);
  Input.addAckTick(builder, ackTick);
  builder.forceDefaults(false);
  return finishClientMessage(builder, 2 /* Input */, Input.endInput(builder));
}
function encodeFullSnapshotRequest() {
  const builder = new Builder(16);
  return finishClientMessage(
    builder,
    4 /* FullSnapshotRequest */,
    FullSnapshotRequest.createFullSnapshotRequest(builder)
  );
}
function encodePong(nonce) {
  const builder = new Builder(32);
  return finishClientMessage(builder, 3 /* Pong */, Pong.createPong(builder, nonce));
}
function encodeSnapshotRateRequest(maxPerSecond) {
  const builder = new Builder(32);
  SnapshotRateRequest.startSnapshotRateRequest(builder);
  builder.forceDefaults(true);
  SnapshotRateRequest.addMaxPerSecond(builder, maxPerSecond);
  builder.forceDefaults(false);
  return finishClientMessage(
    builder,
    5 /* SnapshotRateRequest */,
    SnapshotRateRequest.endSnapshotRateRequest(builder)
  );
}
function finite(value, what) {
  if (!Number.isFinite(value)) {
    throw new ProtocolError(`${what} is not a finite number`);
  }
  return value;
}
function readVec(vec, what) {
  if (vec === null) {
    throw new ProtocolError(`${what} is missing`);
  }
  return { x: finite(vec.x(), `${what}.x`), y: finite(vec.y(), `${what}.y`) };
}
function readSettings(settings) {
  if (settings === null) {
    throw new ProtocolError("settings are missing");
  }
  const decoded = {
    tickRateHz: settings.tickRateHz(),
    broadcastEvery: settings.broadcastEvery(),
    inputEvery: settings.inputEvery(),
    movementSpeed: finite(settings.movementSpeed(), "movement_speed"),
    smoothing: finite(settings.smoothing(), "smoothing"),
    interpolationDelayMs: settings.interpolationDelayMs(),
    positionStepsPerUnit: settings.positionStepsPerUnit()
  };
  if (decoded.tickRateHz === 0 || decoded.broadcastEvery === 0 || decoded.inputEvery === 0) {
    throw new ProtocolError("settings have a zero tick rate, broadcast interval or input interval");
  }
  return decoded;
}
function readResumeToken(welcome, frameSize) {
  const length = welcome.resumeTokenLength();
  if (length === 0) {
    return null;
  }
  if (length > frameSize) {
    throw new ProtocolError(`resume_token claims ${length} bytes, more than the ${frameSize}-byte frame holds`);
  }
  const bytes = welcome.resumeTokenArray();
  if (bytes === null || bytes.length !== length) {
    throw new ProtocolError("resume_token does not fit in the frame");
  }
  return bytes.slice();
}
function readFieldNames(welcome) {
  const count = welcome.fieldNamesLength();
  if (count < 0 || count > FIELD_SLOTS) {
    throw new ProtocolError(`field_names has ${count} names, more than the ${FIELD_SLOTS} field slots`);
  }
  const names = [];
  for (let i = 0; i < count; i++) {
    names.push(welcome.fieldNames(i));
  }
  return names;
}
function readEventNames(welcome, frameSize) {
  const count = welcome.eventNamesLength();
  if (count < 0 || count * 4 > frameSize) {
    throw new ProtocolError(`event_names claims ${count} names, more than the ${frameSize}-byte frame holds`);
  }
  const names = [];
  for (let i = 0; i < count; i++) {
    names.push(welcome.eventNames(i));
  }
  return names;
}
function readGameEvents(batch, frameSize) {
  const count = batch.eventsLength();
  if (count < 0 || count * GameEvent.sizeOf() > frameSize) {
    throw new ProtocolError(`events claims ${count} events, more than the ${frameSize}-byte frame holds`);
  }
  const events = [];
  const event = new GameEvent();
  for (let i = 0; i < count; i++) {
    if (batch.events(i, event) === null) {
      throw new ProtocolError("events is missing");
    }
    events.push({ kind: event.kind(), actor: event.actor(), other: event.other(), value: event.value() });
  }
  return events;
}
function decodeBody(message, bodyType, frameSize) {
  switch (bodyType) {
    case 1 /* Welcome */: {
      const welcome = message.body(new Welcome());
      if (welcome === null) {
        throw new ProtocolError("Welcome has no body");
      }
      const arenaSize = readVec(welcome.arenaSize(), "arena_size");
      if (arenaSize.x <= 0 || arenaSize.y <= 0) {
        throw new ProtocolError(`arena_size ${arenaSize.x} x ${arenaSize.y} is not positive`);
      }
      return {
        type: "welcome",
        sessionId: welcome.sessionId(),
        actorId: welcome.actorId(),
        tick: welcome.tick(),
        settings: readSettings(welcome.settings()),
        arenaSize,
        resumeToken: readResumeToken(welcome, frameSize),
        resumed: welcome.resumed(),
        fieldNames: readFieldNames(welcome),
        eventNames: readEventNames(welcome, frameSize),
        room: welcome.room() ?? "",
        roomName: welcome.roomName() ?? "",
        quietIntervalMs: welcome.quietIntervalMs()
      };
    }
    case 2 /* Snapshot */: {
      const snapshot = message.body(new Snapshot());
      if (snapshot === null) {
        throw new ProtocolError("Snapshot has no body");
      }
      return { type: "snapshot", snapshot: readSnapshot(snapshot, frameSize) };
    }
    case 7 /* GameEvents */: {
      const batch = message.body(new GameEvents());
      if (batch === null) {
        throw new ProtocolError("GameEvents has no body");
      }
      return { type: "gameEvents", tick: batch.tick(), events: readGameEvents(batch, frameSize) };
    }
    case 8 /* InputAck */: {
      const ack = message.body(new InputAck());
      if (ack === null) {
        throw new ProtocolError("InputAck has no body");
      }
      return { type: "inputAck", sequence: ack.sequence(), tick: ack.tick() };
    }
    case 3 /* Settings */: {
      const settings = message.body(new Settings());
      return { type: "settings", settings: readSettings(settings) };
    }
    case 4 /* Ping */: {
      const ping = message.body(new Ping());
      if (ping === null) {
        throw new ProtocolError("Ping has no body");
      }
      return { type: "ping", nonce: ping.nonce(), rttUs: ping.rttUs() };
    }
    case 5 /* Disconnect */: {
      const disconnect2 = message.body(new Disconnect());
      if (disconnect2 === null) {
        throw new ProtocolError("Disconnect has no body");
      }
      return { type: "disconnect", code: disconnect2.code(), reason: disconnect2.reason() ?? "" };
    }
    case 6 /* SnapshotRate */: {
      const rate = message.body(new SnapshotRate());
      if (rate === null) {
        throw new ProtocolError("SnapshotRate has no body");
      }
      const everyTicks = rate.everyTicks();
      if (everyTicks === 0) {
        throw new ProtocolError("SnapshotRate has a zero interval");
      }
      const reason = THROTTLES.get(rate.reason());
      if (reason === void 0) {
        throw new ProtocolError(`SnapshotRate.reason has unknown value ${rate.reason()}`);
      }
      return { type: "snapshotRate", everyTicks, reason };
    }
    case 0 /* NONE */:
      throw new ProtocolError("server message has no body");
    default:
      throw new ProtocolError(`unknown server message type ${String(bodyType)}`);
  }
}
function decodeServerMessage(frame2) {
  const bytes = new Uint8Array(frame2);
  if (bytes.length < 8) {
    throw new ProtocolError(`frame of ${bytes.length} bytes is too short to be a message`);
  }
  let bodyType = null;
  try {
    const message = ServerMessage.getRootAsServerMessage(new CheckedByteBuffer(bytes));
    bodyType = message.bodyType();
    return decodeBody(message, bodyType, bytes.length);
  } catch (error) {
    throw new ProtocolError(error instanceof Error ? error.message : String(error), bodyType);
  }
}

// ../clients/ts/src/close-codes.ts
var WORDS = /* @__PURE__ */ new Map([
  [1e3, { title: "The session ended", hint: "another tab or device took it over; reload to play here" }],
  [1001, { title: "Server shutting down" }],
  [1002, { title: "Protocol error", hint: "reload the page" }],
  [1003, { title: "The server refused a text frame", hint: "reload the page" }],
  [1005, { title: "Connection closed without a reason" }],
  [1006, { title: "Connection lost" }],
  [1007, { title: "The server refused invalid UTF-8 text", hint: "reload the page" }],
  [1008, { title: "Timed out" }],
  [1009, { title: "Message too big", hint: "reload the page" }],
  [1011, { title: "Server error" }],
  [1013, { title: "Server full" }],
  [4e3, { title: `This page speaks protocol ${PROTOCOL_VERSION}, the server another`, hint: "reload the page" }],
  [4001, { title: "Not authorised", hint: "check the ?token= in the address" }],
  [4002, { title: "Too many sessions from your address" }],
  [4003, { title: "This page's origin is not allowed by the server" }],
  [4004, { title: "Sending too fast" }],
  [4005, { title: "Seat refused: it expired, or the room is gone", hint: "back to the lobby" }],
  [4006, { title: "The room is full" }]
]);
var FINAL = new Set(CLOSE_CODES.filter((info) => info.retry === "never").map((info) => info.code));
function closeMeaning(code) {
  const words = WORDS.get(code) ?? { title: `Connection closed (code ${code})` };
  return { final: FINAL.has(code), ...words };
}
function isFinalClose(code) {
  return closeMeaning(code).final;
}
function closeNotice(code, reason, retryInMs) {
  const meaning = closeMeaning(code);
  const what = reason.trim() === "" ? meaning.title : `${meaning.title}: ${reason.trim()}`;
  if (retryInMs === null) {
    return meaning.hint === void 0 ? what : `${what} — ${meaning.hint}`;
  }
  if (retryInMs <= 0) {
    return `${what} — reconnecting…`;
  }
  return `${what} — retrying in ${secondsLeft(retryInMs)} s`;
}
function secondsLeft(ms) {
  return (Math.ceil(ms / 100) / 10).toFixed(1);
}

// ../clients/ts/src/events.ts
var KEPT_EVENTS = 20;
function eventName(eventNames, kind) {
  return kind < eventNames.length ? eventNames[kind] : `event ${kind}`;
}
function formatEvent(event) {
  const parts = [];
  if (event.actor !== 0) {
    parts.push(`#${event.actor}`);
  }
  parts.push(event.name);
  if (event.other !== 0) {
    parts.push(`#${event.other}`);
  }
  if (event.value !== 0) {
    parts.push(`(${event.value})`);
  }
  return parts.join(" ");
}
var EventLog = class {
  constructor() {
    this.names = [];
    this.kept = [];
    this.total = 0;
  }
  /** The event kinds' names, from the last Welcome. */
  get eventNames() {
    return this.names;
  }
  /** Events received in all, on every connection. */
  get count() {
    return this.total;
  }
  /** The last KEPT_EVENTS events, oldest first. */
  get recent() {
    return this.kept;
  }
  welcome(eventNames) {
    this.names = [...eventNames];
  }
  /** Adds a GameEvents batch, in order. */
  add(tick, events) {
    for (const event of events) {
      this.kept.push({ tick, ...event, name: eventName(this.names, event.kind) });
    }
    this.total += events.length;
    if (this.kept.length > KEPT_EVENTS) {
      this.kept = this.kept.slice(-KEPT_EVENTS);
    }
  }
  /** The newest `count` events formatted for people, newest first. */
  lines(count) {
    return this.kept.slice(-count).reverse().map(formatEvent);
  }
};

// ../clients/ts/src/fields.ts
var COLOR_FIELD = "color";
var PLAIN = { fill: null, label: "" };
function slotName(names, slot) {
  return names[slot] ?? `slot ${slot}`;
}
function cssColor(value) {
  return `#${(value & 16777215).toString(16).padStart(6, "0")}`;
}
function namedFields(names, fields) {
  const named = {};
  names.forEach((name, slot) => {
    if (slot < FIELD_SLOTS) {
      named[name] = fields[slot] ?? 0;
    }
  });
  return named;
}
function fieldLook(names, fields) {
  let fill = null;
  const labels = [];
  for (let slot = 0; slot < FIELD_SLOTS; slot++) {
    const value = fields[slot] ?? 0;
    if (value === 0) {
      continue;
    }
    const name = slotName(names, slot);
    if (name === COLOR_FIELD) {
      fill = cssColor(value);
    } else {
      labels.push(`${name} ${value}`);
    }
  }
  return fill === null && labels.length === 0 ? PLAIN : { fill, label: labels.join(" · ") };
}

// ../clients/ts/src/matchmaker.ts
var ROOM_TYPE = "default";
var MatchmakerError = class extends Error {
  constructor(status2, message) {
    super(message);
    this.name = "MatchmakerError";
    this.status = status2;
  }
};
var Matchmaker = class {
  /**
   * @param origin the server's HTTP origin, e.g. "http://127.0.0.1:8080" (the page's).
   * @param fetcher `fetch`, or a stand-in for tests.
   */
  constructor(origin, fetcher = (url, init) => fetch(url, init)) {
    this.origin = origin;
    this.fetcher = fetcher;
  }
  async rooms() {
    return parseRooms(await this.call("GET", "/rooms"));
  }
  /** Creates a room of type `name` and takes a seat in it. */
  async create(name = ROOM_TYPE) {
    return parseSeat(await this.call("POST", "/rooms", { name }), this.socketBase());
  }
  /** A seat in the room `room`; 404 when it is gone, 409 when it is full or locked. */
  async join(room) {
    return parseSeat(await this.call("POST", `/rooms/${encodeURIComponent(room)}/join`), this.socketBase());
  }
  /** A seat in an open room of type `name`, created when there is none. */
  async matchmake(name = ROOM_TYPE) {
    return parseSeat(await this.call("POST", "/matchmake", { name }), this.socketBase());
  }
  /** The origin as a WebSocket base URL: http → ws, https → wss. */
  socketBase() {
    return this.origin.replace(/^http/, "ws");
  }
  async call(method, path, body) {
    let response;
    try {
      response = await this.fetcher(new URL(path, this.origin).href, {
        method,
        headers: body === void 0 ? {} : { "content-type": "application/json" },
        body: body === void 0 ? void 0 : JSON.stringify(body)
      });
    } catch (error) {
      throw new MatchmakerError(0, `the server did not answer (${error instanceof Error ? error.message : String(error)})`);
    }
    const text = await response.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
    }
    if (!response.ok) {
      const error = isObject(json) && typeof json.error === "string" ? json.error : `HTTP ${response.status}`;
      throw new MatchmakerError(response.status, error);
    }
    if (json === null) {
      throw new MatchmakerError(0, `${method} ${path} answered ${response.status} without JSON`);
    }
    return json;
  }
};
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function field(object, key, type, what) {
  const value = object[key];
  if (typeof value !== type || type === "number" && !Number.isFinite(value)) {
    throw new MatchmakerError(0, `${what}.${key} should be a ${type}, but is ${JSON.stringify(value)}`);
  }
  return value;
}
function parseRooms(json) {
  if (!isObject(json) || !Array.isArray(json.rooms)) {
    throw new MatchmakerError(0, 'GET /rooms should answer {"rooms": [...]}');
  }
  return json.rooms.map((room) => {
    if (!isObject(room)) {
      throw new MatchmakerError(0, `a room should be an object, but is ${JSON.stringify(room)}`);
    }
    const state = room.state;
    if (state !== "open" && state !== "locked") {
      throw new MatchmakerError(0, `room.state should be "open" or "locked", but is ${JSON.stringify(state)}`);
    }
    return {
      id: field(room, "id", "string", "room"),
      name: field(room, "name", "string", "room"),
      clients: field(room, "clients", "number", "room"),
      maxClients: field(room, "max_clients", "number", "room"),
      label: isObject(room.label) ? room.label : {},
      tickRateHz: field(room, "tick_rate_hz", "number", "room"),
      state
    };
  });
}
function parseSeat(json, socketBase) {
  if (!isObject(json)) {
    throw new MatchmakerError(0, `a seat should be an object, but is ${JSON.stringify(json)}`);
  }
  const given = field(json, "url", "string", "seat");
  let url = null;
  try {
    url = new URL(given, socketBase);
  } catch {
  }
  if (url === null || url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new MatchmakerError(0, `seat.url should be a ws:// or wss:// URL, but is ${JSON.stringify(given)}`);
  }
  return {
    room: field(json, "room", "string", "seat"),
    name: field(json, "name", "string", "seat"),
    url: url.href,
    seat: field(json, "seat", "string", "seat"),
    expiresInMs: field(json, "expires_in_ms", "number", "seat")
  };
}

// ../clients/ts/src/meter.ts
var MIN_SPAN_MS = 1e3;
var RateMeter = class {
  /** @param windowMs how far back rates are measured. */
  constructor(windowMs = 2e3) {
    this.windowMs = windowMs;
    this.times = [];
    this.amounts = [];
    this.since = null;
  }
  /** Records one event of `amount` at `now` (performance.now()). */
  record(now, amount = 0) {
    if (this.since === null) {
      this.since = now;
    }
    this.times.push(now);
    this.amounts.push(amount);
  }
  /** Forgets everything (a new session): rates are unknown again. */
  reset() {
    this.times.length = 0;
    this.amounts.length = 0;
    this.since = null;
  }
  /** Events per second over the window; null until the meter has watched for MIN_SPAN_MS. */
  eventsPerSecond(now) {
    const spanMs = this.span(now);
    return spanMs === null ? null : this.times.length * 1e3 / spanMs;
  }
  /** Amount per second over the window; null likewise. */
  amountPerSecond(now) {
    const spanMs = this.span(now);
    if (spanMs === null) {
      return null;
    }
    let total = 0;
    for (const amount of this.amounts) {
      total += amount;
    }
    return total * 1e3 / spanMs;
  }
  /**
   * Drops events older than the window; returns the time watched within it (the window,
   * or less just after the first event), or null when that is under MIN_SPAN_MS.
   */
  span(now) {
    while (this.times.length > 0 && now - this.times[0] > this.windowMs) {
      this.times.shift();
      this.amounts.shift();
    }
    if (this.since === null) {
      return null;
    }
    const watched = Math.min(this.windowMs, now - this.since);
    return watched < MIN_SPAN_MS ? null : watched;
  }
};
var RttMeter = class {
  constructor(samples = 8) {
    this.samples = samples;
    this.kept = [];
  }
  record(rttMs) {
    this.kept.push(rttMs);
    if (this.kept.length > this.samples) {
      this.kept.shift();
    }
  }
  /** The mean of the recent samples in ms, or null before the first. */
  get value() {
    if (this.kept.length === 0) {
      return null;
    }
    let total = 0;
    for (const sample of this.kept) {
      total += sample;
    }
    return total / this.kept.length;
  }
};

// ../clients/ts/src/prediction.ts
var BLEND_MS = 100;
var MAX_PENDING = 512;
var ZERO = { x: 0, y: 0 };
function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
function clampDirection(direction) {
  const length = Math.hypot(direction.x, direction.y);
  return length > 1 ? { x: direction.x / length, y: direction.y / length } : { x: direction.x, y: direction.y };
}
function move(position, direction, speed, ms, arena) {
  const d = clampDirection(direction);
  const seconds = Math.max(0, ms) / 1e3;
  let x = position.x + d.x * speed * seconds;
  let y = position.y + d.y * speed * seconds;
  if (arena !== null) {
    x = clamp(x, 0, arena.x);
    y = clamp(y, 0, arena.y);
  }
  return { x, y };
}
var Predictor = class {
  constructor() {
    /** World units per second (Settings.movement_speed). */
    this.speed = 0;
    this.arena = null;
    /** Milliseconds between the snapshots this client gets, for the snap threshold. */
    this.snapshotIntervalMs = 100;
    /** The newest acknowledged input (its direction is in effect before the pending ones). */
    this.base = null;
    /** Inputs sent and not acknowledged, oldest first. */
    this.pending = [];
    this.acked = 0;
    this.ackKnown = false;
    /** The reconciled, server-based position, integrated up to `at`. */
    this.target = null;
    this.at = 0;
    /** drawn = target + correction x (1 - (now - correctionAt) / BLEND_MS). */
    this.correction = ZERO;
    this.correctionAt = 0;
    this.drawn = null;
    /** |prediction - reconciled position| at the last reconciliation. */
    this.lastError = 0;
    /** The last sequence sent (0: none). */
    this.lastSent = 0;
    this.snaps = 0;
  }
  /** Forgets everything: a new session (Welcome). */
  reset() {
    this.base = null;
    this.pending = [];
    this.acked = 0;
    this.ackKnown = false;
    this.target = null;
    this.correction = ZERO;
    this.drawn = null;
    this.lastError = 0;
    this.lastSent = 0;
  }
  /** The sequence of the newest input the server acknowledged, or null before any. */
  get lastAck() {
    return this.ackKnown ? this.acked : null;
  }
  /** Inputs kept (sent and not yet acknowledged). */
  get pendingInputs() {
    return this.pending;
  }
  /** Where the own actor is drawn, after the last advance() or reconcile(); null before any state. */
  get position() {
    return this.drawn;
  }
  /** An input was sent. */
  sent(sequence, direction, now) {
    if (sequence <= this.acked) {
      return;
    }
    this.advance(now);
    this.pending.push({ sequence, direction: { x: direction.x, y: direction.y }, sentAt: now });
    while (this.pending.length > MAX_PENDING) {
      this.base = this.pending.shift();
    }
    this.lastSent = Math.max(this.lastSent, sequence);
  }
  /** InputAck: the server applied inputs up to `sequence`. Acked inputs are dropped. */
  ack(sequence) {
    if (this.ackKnown && sequence <= this.acked) {
      return;
    }
    this.ackKnown = true;
    this.acked = sequence;
    while (this.pending.length > 0 && this.pending[0].sequence <= sequence) {
      this.base = this.pending.shift();
    }
  }
  /** The direction in effect at time `t` on the client's input timeline. */
  directionAt(t) {
    let direction = this.base?.direction ?? ZERO;
    for (const input of this.pending) {
      if (input.sentAt > t) {
        break;
      }
      direction = input.direction;
    }
    return direction;
  }
  /** `position` moved along the input timeline from `from` to `to`. */
  integrate(position, from, to) {
    let at = position;
    let t = from;
    for (const input of this.pending) {
      if (t >= to) {
        break;
      }
      if (input.sentAt <= t) {
        continue;
      }
      const end = Math.min(input.sentAt, to);
      at = move(at, this.directionAt(t), this.speed, end - t, this.arena);
      t = end;
    }
    if (t < to) {
      at = move(at, this.directionAt(t), this.speed, to - t, this.arena);
    }
    return at;
  }
  /**
   * A snapshot was applied at `now`: `server` is the own actor's position in it. `rttMs`
   * places the snapshot's tick on the client's timeline (receivedAt - rtt), between the
   * acknowledged input's and the next input's send times. Returns the error.
   */
  reconcile(server, now, rttMs = 0) {
    const lower = this.base?.sentAt ?? -Infinity;
    const upper = this.pending.length > 0 ? this.pending[0].sentAt : now;
    const start = Math.min(now, clamp(now - Math.max(0, rttMs), lower, Math.max(lower, upper)));
    const reconciled = this.integrate({ x: server.x, y: server.y }, start, now);
    if (this.target === null || this.drawn === null) {
      this.target = reconciled;
      this.at = now;
      this.drawn = { ...reconciled };
      this.correction = ZERO;
      this.lastError = 0;
      return 0;
    }
    this.advance(now);
    const predicted = this.target;
    const error = Math.hypot(predicted.x - reconciled.x, predicted.y - reconciled.y);
    this.lastError = error;
    const drawn = this.drawn;
    this.target = reconciled;
    this.at = now;
    if (error > 2 * this.speed * (this.snapshotIntervalMs / 1e3)) {
      this.snaps += 1;
      this.correction = ZERO;
      this.drawn = { ...reconciled };
    } else {
      this.correction = { x: drawn.x - reconciled.x, y: drawn.y - reconciled.y };
      this.correctionAt = now;
    }
    return error;
  }
  /** Moves the prediction on to `now` (each animation frame); returns where to draw the own actor. */
  advance(now) {
    if (this.target === null) {
      return null;
    }
    if (now > this.at) {
      this.target = this.integrate(this.target, this.at, now);
      this.at = now;
    }
    const left = Math.max(0, 1 - (now - this.correctionAt) / BLEND_MS);
    const x = this.target.x + this.correction.x * left;
    const y = this.target.y + this.correction.y * left;
    if (left === 0) {
      this.correction = ZERO;
    }
    this.drawn = this.arena === null ? { x, y } : { x: clamp(x, 0, this.arena.x), y: clamp(y, 0, this.arena.y) };
    return this.drawn;
  }
};

// ../clients/ts/src/rate.ts
var THROTTLE_WORDS = {
  none: "",
  congested: "slowed down: the connection is not keeping up",
  "client-cap": "slowed down: this page asked for fewer"
};
function perSecond(everyTicks, tickRateHz) {
  const rate = tickRateHz / Math.max(1, everyTicks);
  return `${Number.isInteger(rate) ? rate : rate.toFixed(1)} per second`;
}
function describeInterval(everyTicks, reason, tickRateHz = null) {
  if (everyTicks === null) {
    return "–";
  }
  const ticks = `every ${everyTicks} tick${everyTicks === 1 ? "" : "s"}`;
  const interval = tickRateHz === null ? ticks : `${perSecond(everyTicks, tickRateHz)} (${ticks})`;
  return reason === "none" ? interval : `${interval}, ${THROTTLE_WORDS[reason]}`;
}
var SnapshotRateTracker = class {
  constructor() {
    /** A snapshot every this many ticks (null before Welcome). */
    this.everyTicks = null;
    this.reason = "none";
  }
  /** A new session: every broadcast, until the server says otherwise. */
  welcome(settings) {
    this.everyTicks = settings.broadcastEvery;
    this.reason = "none";
  }
  /** New settings: an unthrottled client gets the new broadcast interval. */
  settings(settings) {
    if (this.reason === "none") {
      this.everyTicks = settings.broadcastEvery;
    }
  }
  /** The server's `SnapshotRate` message. */
  rate(everyTicks, reason) {
    this.everyTicks = everyTicks;
    this.reason = reason;
  }
};

// ../clients/ts/src/mirror.ts
function emptyState(tick = 0, stepsPerUnit = 0) {
  return { tick, stepsPerUnit, ...emptyColumns() };
}
function indexOf(state, id, from = 0) {
  let low = from;
  let high = state.ids.length - 1;
  while (low <= high) {
    const middle = low + high >>> 1;
    const found = state.ids[middle];
    if (found === id) {
      return middle;
    }
    if (found < id) {
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return -1;
}
function fieldsAt(state, row) {
  return state.fields.subarray(row * FIELD_SLOTS, (row + 1) * FIELD_SLOTS);
}
function unsorted(ids) {
  for (let i = 1; i < ids.length; i++) {
    if (ids[i] <= ids[i - 1]) {
      return ids[i];
    }
  }
  return null;
}
var StateBuilder = class {
  constructor(capacity) {
    this.rows = 0;
    this.ids = new Uint32Array(capacity);
    this.x = new Int32Array(capacity);
    this.y = new Int32Array(capacity);
    this.vx = new Int16Array(capacity);
    this.vy = new Int16Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.fields = new Int32Array(capacity * FIELD_SLOTS);
  }
  /** Appends row `row` of `from`; the caller keeps ids ascending. */
  push(from, row) {
    const at = this.rows++;
    this.ids[at] = from.ids[row];
    this.x[at] = from.x[row];
    this.y[at] = from.y[row];
    this.vx[at] = from.vx[row];
    this.vy[at] = from.vy[row];
    this.kinds[at] = from.kinds[row];
    this.fields.set(from.fields.subarray(row * FIELD_SLOTS, (row + 1) * FIELD_SLOTS), at * FIELD_SLOTS);
  }
  finish(tick, stepsPerUnit) {
    const rows = this.rows;
    return {
      tick,
      stepsPerUnit,
      ids: this.ids.subarray(0, rows),
      x: this.x.subarray(0, rows),
      y: this.y.subarray(0, rows),
      vx: this.vx.subarray(0, rows),
      vy: this.vy.subarray(0, rows),
      kinds: this.kinds.subarray(0, rows),
      fields: this.fields.subarray(0, rows * FIELD_SLOTS)
    };
  }
};
function applyChanges(state, ids, change) {
  let from = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (k > 0 && id <= ids[k - 1]) {
      return `an id list in the snapshot is not strictly ascending at ${id}`;
    }
    const row = indexOf(state, id, from);
    if (row < 0) {
      return `delta refers to actor ${id}, which the mirror does not hold`;
    }
    from = row;
    change(row, k);
  }
  return null;
}
function merged(held, snapshot) {
  const { spawned, despawned } = snapshot;
  const disorder = unsorted(despawned) ?? unsorted(spawned.ids);
  if (disorder !== null) {
    return `an id list in the snapshot is not strictly ascending at ${disorder}`;
  }
  const builder = new StateBuilder(held.ids.length + spawned.ids.length);
  let s = 0;
  let d = 0;
  for (let row = 0; row < held.ids.length; row++) {
    const id = held.ids[row];
    while (s < spawned.ids.length && spawned.ids[s] < id) {
      builder.push(spawned, s++);
    }
    if (d < despawned.length && despawned[d] === id) {
      d++;
      if (s < spawned.ids.length && spawned.ids[s] === id) {
        builder.push(spawned, s++);
      }
      continue;
    }
    if (s < spawned.ids.length && spawned.ids[s] === id) {
      return `delta spawns actor ${id}, which the mirror already holds`;
    }
    if (d < despawned.length && despawned[d] < id) {
      return `delta refers to actor ${despawned[d]}, which the mirror does not hold`;
    }
    builder.push(held, row);
  }
  if (d < despawned.length) {
    return `delta refers to actor ${despawned[d]}, which the mirror does not hold`;
  }
  while (s < spawned.ids.length) {
    builder.push(spawned, s++);
  }
  const next = builder.finish(snapshot.tick, snapshot.stepsPerUnit);
  const { x, y, vx, vy, fields } = next;
  const { moved, jumped, turned, refielded } = snapshot;
  let value = 0;
  return applyChanges(next, moved.ids, (row, k) => {
    x[row] = x[row] + moved.dx[k];
    y[row] = y[row] + moved.dy[k];
  }) ?? applyChanges(next, jumped.ids, (row, k) => {
    x[row] = jumped.x[k];
    y[row] = jumped.y[k];
  }) ?? applyChanges(next, turned.ids, (row, k) => {
    vx[row] = turned.vx[k];
    vy[row] = turned.vy[k];
  }) ?? applyChanges(next, refielded.ids, (row, k) => {
    const mask = refielded.masks[k];
    for (let slot = 0; slot < FIELD_SLOTS; slot++) {
      if ((mask & 1 << slot) !== 0) {
        fields[row * FIELD_SLOTS + slot] = refielded.values[value++];
      }
    }
  }) ?? next;
}
function columnsMatch(snapshot) {
  const { spawned: c, moved, jumped, turned, refielded } = snapshot;
  const n = c.ids.length;
  return c.fields.length === n * FIELD_SLOTS && refielded.masks.length === refielded.ids.length && maskedValueCount(refielded.masks) === refielded.values.length && c.x.length === n && c.y.length === n && c.vx.length === n && c.vy.length === n && c.kinds.length === n && moved.dx.length === moved.ids.length && moved.dy.length === moved.ids.length && jumped.x.length === jumped.ids.length && jumped.y.length === jumped.ids.length && turned.vx.length === turned.ids.length && turned.vy.length === turned.ids.length;
}
var Mirror = class {
  constructor() {
    this.current = emptyState();
  }
  /** The state held now; replaced (never modified) by every successful apply. */
  get state() {
    return this.current;
  }
  /** The tick of the state held (0: nothing applied yet). */
  get tick() {
    return this.current.tick;
  }
  /** Number of actors held. */
  get size() {
    return this.current.ids.length;
  }
  /**
   * Applies a full snapshot (replacing everything) or a delta against the state held.
   * On failure the mirror is unchanged and the result says why.
   */
  apply(snapshot) {
    if (!columnsMatch(snapshot)) {
      return { ok: false, reason: "a column does not have one entry per id (or per set field mask bit)" };
    }
    if (snapshot.baselineTick === null) {
      const disorder = unsorted(snapshot.spawned.ids);
      if (disorder !== null) {
        return { ok: false, reason: `an id list in the snapshot is not strictly ascending at ${disorder}` };
      }
      const builder = new StateBuilder(snapshot.spawned.ids.length);
      for (let row = 0; row < snapshot.spawned.ids.length; row++) {
        builder.push(snapshot.spawned, row);
      }
      this.current = builder.finish(snapshot.tick, snapshot.stepsPerUnit);
      return { ok: true, full: true, spawned: this.current.ids };
    }
    const held = this.current;
    if (snapshot.baselineTick !== held.tick) {
      return { ok: false, reason: `delta is against tick ${snapshot.baselineTick}, but the mirror holds tick ${held.tick}` };
    }
    if (snapshot.stepsPerUnit !== held.stepsPerUnit) {
      return { ok: false, reason: `delta uses ${snapshot.stepsPerUnit} steps per unit, the mirror ${held.stepsPerUnit}` };
    }
    const next = merged(held, snapshot);
    if (typeof next === "string") {
      return { ok: false, reason: next };
    }
    this.current = next;
    return { ok: true, full: false, spawned: snapshot.spawned.ids };
  }
  /** Forgets everything (a new session). */
  reset() {
    this.current = emptyState();
  }
};

// ../clients/ts/src/replication.ts
var Replication = class {
  constructor() {
    this.mirror = new Mirror();
    /** Snapshots that could not be applied (or decoded), in this session. */
    this.applyErrors = 0;
    this.awaitingFull = false;
  }
  /** The tick of the newest snapshot applied (0: none yet): what Inputs acknowledge. */
  get ackTick() {
    return this.mirror.tick;
  }
  /** Whether deltas are being ignored until a full snapshot arrives. */
  get waitingForFull() {
    return this.awaitingFull;
  }
  /** Applies a decoded snapshot, or ignores it while waiting for a full one. */
  receive(snapshot) {
    if (this.awaitingFull && snapshot.baselineTick !== null) {
      return { outcome: "skipped" };
    }
    const result = this.mirror.apply(snapshot);
    if (!result.ok) {
      return this.fail(result.reason);
    }
    this.awaitingFull = false;
    return { outcome: "applied", state: this.mirror.state, full: result.full, spawned: result.spawned };
  }
  /** Records a snapshot that could not be applied, e.g. because its frame was malformed. */
  fail(reason) {
    this.applyErrors += 1;
    const requestFull = !this.awaitingFull;
    this.awaitingFull = true;
    return { outcome: "failed", reason, requestFull };
  }
};

// ../clients/ts/src/connection.ts
var MIN_INPUT_INTERVAL_MS = 5;
var Connection = class {
  /**
   * @param direction the move direction to send with each Input.
   * @param hello the auth and resume tokens to send in the Hello.
   */
  constructor(url, direction, handlers, hello = {}) {
    this.direction = direction;
    this.handlers = handlers;
    this.hello = hello;
    /** The mirror of the server's world, and how it keeps in step. */
    this.replication = new Replication();
    this.state = "connecting";
    this.sequence = 0;
    this.inputTimer = null;
    this.inputIntervalMs = 0;
    /** The snapshot cap the app wants (0: none), and the one the server was last asked for. */
    this.wantedCap = 0;
    this.sentCap = 0;
    /** Set by dispose(): the socket's events are ignored from then on. */
    this.disposed = false;
    this.socket = new WebSocket(url);
    this.socket.binaryType = "arraybuffer";
    this.socket.addEventListener("open", () => this.disposed || this.send(encodeHello(this.hello)));
    this.socket.addEventListener("message", (event) => this.disposed || this.receive(event.data));
    this.socket.addEventListener("close", (event) => this.disposed || this.closed(event.code, event.reason));
  }
  /**
   * Stops every timer and ignores the socket from now on, without closing it: a close
   * frame tells the server the player left, whereas a connection given up for dead
   * should leave the actor waiting for a resume. No handler is called after this.
   */
  abandon() {
    this.disposed = true;
    this.stopInputs();
    this.state = "closed";
  }
  /**
   * Closes the socket and abandons it: with 1000 (normal closure) the player leaves; with
   * 1001 (going away) the page does, as a browser says when a page unloads.
   */
  dispose(code = 1e3) {
    this.abandon();
    try {
      this.socket.close(code);
    } catch {
    }
  }
  /** Sends an Input with the current direction now (used when the pressed keys change). */
  sendInputNow() {
    if (this.state !== "connected") {
      return;
    }
    this.sequence += 1;
    const direction = this.direction();
    this.send(encodeInput(this.sequence, direction, this.replication.ackTick));
    this.handlers.onInput?.(this.sequence, direction);
  }
  /**
   * Asks the server for at most `maxPerSecond` snapshots per second (0 lifts the cap):
   * now when connected, else right after the Welcome.
   */
  capSnapshots(maxPerSecond) {
    this.wantedCap = maxPerSecond;
    this.sendCap();
  }
  sendCap() {
    if (this.state === "connected" && this.wantedCap !== this.sentCap) {
      this.sentCap = this.wantedCap;
      this.send(encodeSnapshotRateRequest(this.wantedCap));
    }
  }
  receive(data) {
    if (!(data instanceof ArrayBuffer)) {
      this.handlers.onProtocolError("server sent a text frame; every frame should be binary");
      return;
    }
    let event;
    try {
      event = decodeServerMessage(data);
    } catch (error) {
      const message = error instanceof ProtocolError ? error.message : String(error);
      this.handlers.onProtocolError(`bad frame (${data.byteLength} bytes): ${message}`);
      if (error instanceof ProtocolError && error.bodyType === 2 /* Snapshot */) {
        this.snapshotDone({ bytes: data.byteLength, tick: null, receipt: this.replication.fail(message) });
      }
      return;
    }
    if (event.type === "snapshot") {
      const receipt = this.replication.receive(event.snapshot);
      this.snapshotDone({ bytes: data.byteLength, tick: event.snapshot.tick, receipt });
      return;
    }
    if (event.type === "ping") {
      this.send(encodePong(event.nonce));
    }
    if (event.type === "welcome" || event.type === "settings") {
      this.scheduleInputs(event.settings);
    }
    this.handlers.onMessage(event);
    if (event.type === "welcome") {
      this.sentCap = 0;
      this.setState("connected");
      this.sendCap();
    }
  }
  snapshotDone(frame2) {
    if (frame2.receipt.outcome === "failed" && frame2.receipt.requestFull) {
      this.send(encodeFullSnapshotRequest());
    }
    this.handlers.onSnapshot(frame2);
  }
  /** Sends Inputs every `input_every` ticks; a timer already at that interval is kept. */
  scheduleInputs(settings) {
    const intervalMs = Math.max(MIN_INPUT_INTERVAL_MS, settings.inputEvery * 1e3 / settings.tickRateHz);
    if (this.inputTimer !== null && intervalMs === this.inputIntervalMs) {
      return;
    }
    this.stopInputs();
    this.inputIntervalMs = intervalMs;
    this.inputTimer = setInterval(() => this.sendInputNow(), intervalMs);
  }
  stopInputs() {
    if (this.inputTimer !== null) {
      clearInterval(this.inputTimer);
      this.inputTimer = null;
    }
  }
  send(frame2) {
    if (!this.disposed && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(frame2);
    }
  }
  closed(code, reason) {
    this.stopInputs();
    this.setState("closed");
    this.handlers.onClose(code, reason);
  }
  setState(state) {
    if (this.state !== state) {
      this.state = state;
      this.handlers.onState(state);
    }
  }
};

// ../clients/ts/src/reconnect.ts
var BASE_DELAY_MS = 250;
var MAX_DELAY_MS = 5e3;
var Backoff = class {
  constructor(options = {}) {
    this.attempts = 0;
    this.baseMs = options.baseMs ?? BASE_DELAY_MS;
    this.capMs = options.capMs ?? MAX_DELAY_MS;
    this.random = options.random ?? Math.random;
  }
  /** Attempts delayed since the last reset. */
  get attempt() {
    return this.attempts;
  }
  /** The ceiling of the next delay: base * 2^attempt, capped. */
  get ceilingMs() {
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempts, 30));
  }
  /** The delay before the next attempt, in [0, ceilingMs]; counts the attempt. */
  next() {
    const ceiling = this.ceilingMs;
    this.attempts += 1;
    const r = this.random();
    const unit2 = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
    return unit2 * ceiling;
  }
  /** A connection succeeded: the next delay is short again. */
  reset() {
    this.attempts = 0;
  }
};
var browserTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
  now: () => performance.now()
};
var RetryTimer = class {
  constructor(timers = browserTimers) {
    this.timers = timers;
    this.handle = null;
    this.dueAt = null;
  }
  /** Calls `callback` in `delayMs`, replacing any call still pending. */
  schedule(delayMs, callback) {
    this.cancel();
    this.dueAt = this.timers.now() + delayMs;
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.dueAt = null;
      callback();
    }, delayMs);
  }
  cancel() {
    if (this.handle !== null) {
      this.timers.clearTimeout(this.handle);
      this.handle = null;
    }
    this.dueAt = null;
  }
  get pending() {
    return this.dueAt !== null;
  }
  /** Milliseconds until the pending call (at least 0), or null when none is pending. */
  remainingMs() {
    return this.dueAt === null ? null : Math.max(0, this.dueAt - this.timers.now());
  }
};

// ../clients/ts/src/session.ts
var SILENCE_MS = 1e4;
var QUIET_INTERVALS_OF_SILENCE = 3;
var Session = class {
  constructor(options, handlers) {
    this.handlers = handlers;
    this.connection = null;
    /** Connections given up for silence, closed once the next Welcome has come. */
    this.abandoned = [];
    this.state = "connecting";
    /** The Disconnect message of the current connection, if one came. */
    this.disconnect = null;
    this.welcomes = 0;
    this.lastHeardAt = 0;
    this.wantedCap = 0;
    this.url = options.url;
    this.authToken = options.authToken ?? null;
    this.seat = options.seat ?? null;
    this.resumeToken = options.resumeToken ?? null;
    this.room = options.room ?? null;
    this.direction = options.direction;
    this.timers = options.timers ?? browserTimers;
    this.silenceMs = options.silenceMs ?? SILENCE_MS;
    this.silenceFixed = options.silenceMs !== void 0;
    this.backoff = new Backoff({ random: options.random });
    this.retry = new RetryTimer(this.timers);
    this.watchdog = new RetryTimer(this.timers);
    this.connect();
  }
  /** The mirror and its replication state, of the newest connection. */
  get replication() {
    return this.current;
  }
  /** Successful reconnections: Welcomes after the first. */
  get reconnects() {
    return Math.max(0, this.welcomes - 1);
  }
  /**
   * Milliseconds until the next attempt; 0 while one is under way; null when
   * connected or closed.
   */
  retryInMs() {
    if (this.state === "connected" || this.state === "closed") {
      return null;
    }
    return this.retry.remainingMs() ?? 0;
  }
  sendInputNow() {
    this.connection?.sendInputNow();
  }
  /** The snapshot cap to ask for (0: none), now and on every connection to come. */
  capSnapshots(maxPerSecond) {
    this.wantedCap = maxPerSecond;
    this.connection?.capSnapshots(maxPerSecond);
  }
  /**
   * The page's own decision: closes the connection and never reconnects (until reopen).
   * @param code 1000: the player leaves; 1001: the page goes away (it may come back and resume).
   */
  close(code = 1e3) {
    this.retry.cancel();
    this.watchdog.cancel();
    this.connection?.dispose(code);
    this.connection = null;
    this.closeAbandoned();
    this.setState("closed");
  }
  /** Connects again after close() (e.g. the page came back from the back-forward cache). */
  reopen() {
    if (this.state !== "closed" || this.connection !== null) {
      return;
    }
    this.backoff.reset();
    this.setState(this.welcomes > 0 ? "reconnecting" : "connecting");
    this.connect();
  }
  connect() {
    this.disconnect = null;
    const connection = new Connection(
      this.url,
      this.direction,
      {
        onState: () => void 0,
        onMessage: (event) => {
          if (this.connection === connection) {
            this.message(event);
          }
        },
        onSnapshot: (frame2) => {
          if (this.connection === connection) {
            this.heard();
            this.handlers.onSnapshot(frame2);
          }
        },
        onProtocolError: (message) => {
          if (this.connection === connection) {
            this.heard();
            this.handlers.onProtocolError(message);
          }
        },
        onInput: (sequence, direction) => {
          if (this.connection === connection) {
            this.handlers.onInput?.(sequence, direction);
          }
        },
        onClose: (code, reason) => {
          if (this.connection === connection) {
            this.closed(code, reason);
          }
        }
      },
      {
        authToken: this.authToken,
        seat: this.welcomes === 0 ? this.seat : null,
        resumeToken: this.resumeToken,
        room: this.resumeToken === null ? null : this.room
      }
    );
    this.connection = connection;
    this.current = connection.replication;
    connection.capSnapshots(this.wantedCap);
    this.heard();
  }
  message(event) {
    this.heard();
    if (event.type === "disconnect") {
      this.disconnect = { code: event.code, reason: event.reason };
    }
    if (event.type === "welcome") {
      this.backoff.reset();
      this.resumeToken = event.resumeToken;
      if (event.room !== "") {
        this.room = event.room;
      }
      this.welcomes += 1;
      if (!this.silenceFixed && event.quietIntervalMs > 0) {
        this.silenceMs = QUIET_INTERVALS_OF_SILENCE * event.quietIntervalMs;
        this.watchdog.cancel();
        this.heard();
      }
      this.closeAbandoned();
    }
    this.handlers.onMessage(event);
    if (event.type === "welcome") {
      this.setState("connected");
    }
  }
  closed(code, reason) {
    this.connection = null;
    this.watchdog.cancel();
    const ending = this.disconnect ?? { code, reason };
    if (isFinalClose(ending.code)) {
      this.setState("closed");
      this.handlers.onClose({ ...ending, final: true, retryInMs: null });
      return;
    }
    const delay = this.backoff.next();
    this.retry.schedule(delay, () => this.connect());
    this.setState(this.welcomes > 0 ? "reconnecting" : "connecting");
    this.handlers.onClose({ ...ending, final: false, retryInMs: delay });
  }
  /** Something came from the server: the connection is alive. */
  heard() {
    this.lastHeardAt = this.timers.now();
    if (!this.watchdog.pending) {
      this.watchdog.schedule(this.silenceMs, () => this.checkSilence());
    }
  }
  checkSilence() {
    const connection = this.connection;
    if (connection === null) {
      return;
    }
    const silentMs = this.timers.now() - this.lastHeardAt;
    if (silentMs < this.silenceMs) {
      this.watchdog.schedule(this.silenceMs - silentMs, () => this.checkSilence());
      return;
    }
    connection.abandon();
    this.abandoned.push(connection);
    this.disconnect = null;
    this.closed(1006, `no word from the server for ${Math.round(silentMs / 1e3)} s`);
  }
  closeAbandoned() {
    for (const connection of this.abandoned) {
      connection.dispose();
    }
    this.abandoned = [];
  }
  setState(state) {
    if (this.state !== state) {
      this.state = state;
      this.handlers.onState(state);
    }
  }
};

// ../clients/ts/src/timeline.ts
var CLOCK_WINDOW_MS = 1e4;
var DELAY_WINDOW_MS = 4e3;
var SHRINK_MS_PER_S = 20;
var DELAY_MARGIN_MS = 20;
var MIN_RATE = 0.8;
var MAX_RATE = 1.2;
var CATCH_UP_MS = 800;
var SNAP_MS = 1e3;
var WindowExtreme = class {
  /** @param better true when `a` should replace `b` as the extreme (a <= b for a minimum). */
  constructor(windowMs, better) {
    this.windowMs = windowMs;
    this.better = better;
    this.times = [];
    this.values = [];
  }
  add(at, value) {
    while (this.values.length > 0 && this.better(value, this.values[this.values.length - 1])) {
      this.values.pop();
      this.times.pop();
    }
    this.values.push(value);
    this.times.push(at);
    this.expire(at);
  }
  expire(now) {
    while (this.times.length > 1 && this.times[0] <= now - this.windowMs) {
      this.times.shift();
      this.values.shift();
    }
  }
  /** The extreme of the window, or null before any value. */
  get value() {
    return this.values.length === 0 ? null : this.values[0];
  }
  clear() {
    this.times.length = 0;
    this.values.length = 0;
  }
};
var ServerClock = class {
  constructor() {
    this.offsets = new WindowExtreme(CLOCK_WINDOW_MS, (a, b) => a <= b);
  }
  /**
   * Records that the state at `serverTimeMs` arrived at local time `arrivedAt`.
   * @returns how much later than the estimate it arrived (0 for the earliest-arriving path).
   */
  observe(serverTimeMs, arrivedAt) {
    const offset = arrivedAt - serverTimeMs;
    this.offsets.add(arrivedAt, offset);
    return offset - (this.offsets.value ?? offset);
  }
  /** Local time minus server time, or null before any arrival. */
  get offsetMs() {
    return this.offsets.value;
  }
  /** The estimated server time at local time `now`, or null before any arrival. */
  serverNow(now) {
    const offset = this.offsets.value;
    return offset === null ? null : now - offset;
  }
  reset() {
    this.offsets.clear();
  }
};
var AdaptiveDelay = class {
  /** @param floorMs the server's `interpolation_delay`: the delay never goes below it. */
  constructor(floorMs) {
    this.floorMs = floorMs;
    this.needs = new WindowExtreme(DELAY_WINDOW_MS, (a, b) => a >= b);
    this.current = null;
    this.updatedAt = null;
  }
  /**
   * Records an arrival `latenessMs` later than the clock estimate while snapshots come
   * every `intervalMs`, at local time `now`.
   */
  observe(latenessMs, intervalMs, now) {
    this.needs.add(now, Math.max(0, latenessMs) + Math.max(0, intervalMs) + DELAY_MARGIN_MS);
    this.update(now);
  }
  /** The delay in force at local time `now`, in milliseconds. */
  at(now) {
    this.update(now);
    return this.current ?? this.floorMs;
  }
  reset() {
    this.needs.clear();
    this.current = null;
    this.updatedAt = null;
  }
  update(now) {
    this.needs.expire(now);
    const target = Math.max(this.floorMs, this.needs.value ?? 0);
    if (this.current === null || this.updatedAt === null || target >= this.current) {
      this.current = target;
    } else {
      const elapsed = Math.max(0, now - this.updatedAt);
      this.current = Math.max(target, this.current - SHRINK_MS_PER_S * elapsed / 1e3);
    }
    this.updatedAt = Math.max(now, this.updatedAt ?? now);
  }
};
var RenderClock = class {
  constructor() {
    this.time = null;
    this.lastNow = null;
  }
  /**
   * Advances to local time `now` towards `target` (server time) and returns the server
   * time to draw. Calling again with the same or an earlier `now` changes nothing.
   */
  advance(now, target) {
    if (this.time === null || this.lastNow === null) {
      this.time = target;
      this.lastNow = now;
      return target;
    }
    const elapsed = now - this.lastNow;
    if (elapsed <= 0) {
      return this.time;
    }
    this.lastNow = now;
    const free = this.time + elapsed;
    const gap = target - free;
    if (Math.abs(gap) > SNAP_MS) {
      this.time = target;
      return target;
    }
    const rate = Math.min(MAX_RATE, Math.max(MIN_RATE, 1 + gap / CATCH_UP_MS));
    this.time += elapsed * rate;
    return this.time;
  }
  /**
   * Keeps the render time at or below `latest` (starved of data: the world holds there),
   * so that motion resumes from where it stopped when data comes, rather than leaping to
   * where the clock ran on to.
   */
  limit(latest) {
    if (this.time !== null && this.time > latest) {
      this.time = latest;
    }
  }
  /** The server time drawn last, or null before any. */
  get current() {
    return this.time;
  }
  reset() {
    this.time = null;
    this.lastNow = null;
  }
};

// ../clients/ts/src/world.ts
var SMOOTHING_FRAME_MS = 1e3 / 60;
var BUFFER_SLACK_MS = 250;
var MAX_FRAMES = 128;
var EXTRAPOLATE_MS = 100;
var NO_IDS = new Uint32Array(0);
function clamp2(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
function unit(state) {
  return 1 / Math.max(1, state.stepsPerUnit);
}
function span(from, to, alpha) {
  return { from: from?.state ?? null, to: to.state, fresh: to.fresh, alpha };
}
var World = class {
  constructor() {
    this.arenaSize = null;
    this.ownId = null;
    this.settings = null;
    /** Applied states, oldest first. */
    this.frames = [];
    this.ownDisplay = null;
    this.lastFrameAt = null;
    /** Set by a Welcome while the previous session's states are still drawn: the new own actor. */
    this.nextOwnId = null;
    /** The snapshot interval in ticks the server said (null: broadcast_every). */
    this.snapshotEveryTicks = null;
    this.clock = new ServerClock();
    this.delay = new AdaptiveDelay(0);
    this.renderClock = new RenderClock();
  }
  /**
   * Starts a new session. The states of an earlier one are still drawn until the new
   * session's first state arrives, then forgotten.
   */
  welcome(actorId, arenaSize, settings) {
    this.arenaSize = arenaSize;
    this.applySettings(settings);
    if (this.frames.length === 0) {
      this.ownId = actorId;
      this.restart();
    } else {
      this.nextOwnId = actorId;
    }
  }
  /** Whether the states drawn are the previous session's, until the new one's first arrives. */
  get waitingForState() {
    return this.nextOwnId !== null;
  }
  restart() {
    this.frames = [];
    this.ownDisplay = null;
    this.lastFrameAt = null;
    this.nextOwnId = null;
    this.clock.reset();
    this.delay.reset();
    this.renderClock.reset();
  }
  /** New settings (tick rate, smoothing, interpolation delay...), in force from the next frame. */
  applySettings(settings) {
    this.settings = settings;
    this.delay.floorMs = settings.interpolationDelayMs;
  }
  /**
   * The snapshot interval this client gets, in ticks (`SnapshotRateTracker.everyTicks`,
   * src/rate.ts; null: the settings' broadcast_every), for the states added from now on:
   * a longer gap between two states was a quiet one.
   */
  setSnapshotEveryTicks(everyTicks) {
    this.snapshotEveryTicks = everyTicks;
  }
  /** The snapshot interval in ticks in force now (at least 1). */
  get everyTicks() {
    return Math.max(1, this.snapshotEveryTicks ?? this.settings?.broadcastEvery ?? 1);
  }
  /** Milliseconds per tick at the tick rate in force. */
  get tickMs() {
    return 1e3 / Math.max(1, this.settings?.tickRateHz ?? 1);
  }
  /**
   * Takes the mirror's state after a snapshot was applied at `now` (performance.now()),
   * after a hold state when the gap since the previous one was quiet.
   * @param spawned ids a delta spawned (new actors even where an id is reused), or null
   *   for a full snapshot, whose actors are matched to the previous state by id and kind.
   */
  addState(state, spawned, now) {
    if (this.nextOwnId !== null) {
      this.ownId = this.nextOwnId;
      this.restart();
    }
    const everyTicks = this.everyTicks;
    const tickMs = this.tickMs;
    const previous = this.latest;
    const serverTime = previous === null ? 0 : previous.serverTime + ticksBetween(state.tick, previous.state.tick) * tickMs;
    if (previous !== null && serverTime < previous.serverTime) {
      return;
    }
    if (previous !== null && spawned !== null) {
      const interval = Math.max(everyTicks, previous.everyTicks);
      if (ticksBetween(state.tick, previous.state.tick) > interval) {
        const hold = { ...previous.state, tick: addTicks(state.tick, -interval) };
        this.frames.push({ state: hold, serverTime: serverTime - interval * tickMs, fresh: NO_IDS, everyTicks });
      }
    }
    this.frames.push({ state, serverTime, fresh: spawned ?? NO_IDS, everyTicks });
    const lateness = this.clock.observe(serverTime, now);
    this.delay.observe(lateness, everyTicks * tickMs, now);
    const drawn = this.renderClock.current;
    let drop = 0;
    if (drawn !== null) {
      const oldest = drawn - BUFFER_SLACK_MS;
      while (this.frames.length - drop > 2 && this.frames[drop + 1].serverTime <= oldest) {
        drop++;
      }
    }
    drop = Math.max(drop, this.frames.length - MAX_FRAMES);
    if (drop > 0) {
      this.frames.splice(0, drop);
    }
  }
  /** States buffered now (for tests and the curious). */
  get bufferedStates() {
    return this.frames.length;
  }
  get actorCount() {
    const latest = this.latest;
    return latest === null ? 0 : latest.state.ids.length;
  }
  /** The own actor's position in the newest state, in world units, or null if it is not in it. */
  get ownPosition() {
    const latest = this.latest;
    if (latest === null || this.ownId === null) {
      return null;
    }
    const state = latest.state;
    const row = indexOf(state, this.ownId);
    return row < 0 ? null : { x: state.x[row] * unit(state), y: state.y[row] * unit(state) };
  }
  /** The own actor's FIELD_SLOTS gameplay field values in the newest state, or null if it is not in it. */
  get ownFields() {
    const latest = this.latest;
    if (latest === null || this.ownId === null) {
      return null;
    }
    const row = indexOf(latest.state, this.ownId);
    return row < 0 ? null : fieldsAt(latest.state, row);
  }
  /**
   * How far behind the estimated server clock others are drawn at local time `now`, in
   * milliseconds: the server's interpolation_delay, or more on a jittery link.
   */
  delayAt(now) {
    return this.delay.at(now);
  }
  /** The estimated server clock's offset (local time − server time) in milliseconds; null before any state. */
  get clockOffsetMs() {
    return this.clock.offsetMs;
  }
  /**
   * The server time (on this session's timeline, ms) others are drawn at for local
   * time `now`; advances the render clock. Null before any state.
   */
  renderTimeAt(now) {
    const serverNow = this.clock.serverNow(now);
    if (serverNow === null) {
      return null;
    }
    const drawn = this.renderClock.advance(now, serverNow - this.delay.at(now));
    const latest = this.latest;
    if (latest !== null && drawn > latest.serverTime + EXTRAPOLATE_MS) {
      this.renderClock.limit(latest.serverTime + EXTRAPOLATE_MS);
      return latest.serverTime + EXTRAPOLATE_MS;
    }
    return drawn;
  }
  /** Which states other actors are drawn between at local time `now`, or null before any state. */
  renderSpan(now) {
    const frames = this.frames;
    const count = frames.length;
    if (count === 0) {
      return null;
    }
    const renderAt = this.renderTimeAt(now);
    const latest = frames[count - 1];
    if (count === 1 || renderAt === null) {
      return span(null, latest, 1);
    }
    if (renderAt <= frames[0].serverTime) {
      return span(null, frames[0], 1);
    }
    let at = count - 1;
    while (frames[at].serverTime > renderAt) {
      at--;
    }
    if (at === count - 1) {
      const previous = frames[count - 2];
      const spanMs2 = latest.serverTime - previous.serverTime;
      if (spanMs2 <= 0) {
        return span(null, latest, 1);
      }
      return span(previous, latest, 1 + Math.min(renderAt - latest.serverTime, EXTRAPOLATE_MS) / spanMs2);
    }
    const from = frames[at];
    const to = frames[at + 1];
    const spanMs = to.serverTime - from.serverTime;
    return span(from, to, spanMs <= 0 ? 1 : clamp2((renderAt - from.serverTime) / spanMs, 0, 1));
  }
  /** Where to draw every actor at time `now` (performance.now()); the own actor last. */
  actorsAt(now) {
    const between = this.renderSpan(now);
    if (between === null) {
      return [];
    }
    const result = [];
    const { from, to, fresh, alpha } = between;
    const scale = unit(to);
    const fromScale = from === null ? 0 : unit(from);
    let p = 0;
    let f = 0;
    for (let row = 0; row < to.ids.length; row++) {
      const id = to.ids[row];
      if (id === this.ownId) {
        continue;
      }
      const kind = to.kinds[row];
      const fields = fieldsAt(to, row);
      const x = to.x[row] * scale;
      const y = to.y[row] * scale;
      while (from !== null && p < from.ids.length && from.ids[p] < id) {
        p++;
      }
      while (f < fresh.length && fresh[f] < id) {
        f++;
      }
      const isFresh = f < fresh.length && fresh[f] === id;
      if (from !== null && !isFresh && p < from.ids.length && from.ids[p] === id && from.kinds[p] === kind) {
        const fromX = from.x[p] * fromScale;
        const fromY = from.y[p] * fromScale;
        let ax = fromX + (x - fromX) * alpha;
        let ay = fromY + (y - fromY) * alpha;
        if (alpha > 1 && this.arenaSize !== null) {
          ax = clamp2(ax, 0, this.arenaSize.x);
          ay = clamp2(ay, 0, this.arenaSize.y);
        }
        result.push({ id, x: ax, y: ay, kind, own: false, fields });
      } else {
        result.push({ id, x, y, kind, own: false, fields });
      }
    }
    const own = this.ownActor(now);
    if (own !== null) {
      result.push(own);
    }
    this.lastFrameAt = now;
    return result;
  }
  get latest() {
    return this.frames.length === 0 ? null : this.frames[this.frames.length - 1];
  }
  /** The own actor at its newest position, eased; null while it is in no state. */
  ownActor(now) {
    const latest = this.latest;
    if (latest === null || this.ownId === null) {
      return null;
    }
    const state = latest.state;
    const row = indexOf(state, this.ownId);
    if (row < 0) {
      return null;
    }
    const at = this.easeOwn({ x: state.x[row] * unit(state), y: state.y[row] * unit(state) }, now);
    return {
      id: this.ownId,
      x: at.x,
      y: at.y,
      kind: state.kinds[row],
      own: true,
      fields: fieldsAt(state, row)
    };
  }
  easeOwn(target, now) {
    const smoothing = clamp2(this.settings?.smoothing ?? 0, 0, 1);
    if (this.ownDisplay === null || this.lastFrameAt === null || smoothing === 0) {
      this.ownDisplay = { x: target.x, y: target.y };
      return this.ownDisplay;
    }
    const frames = Math.max(0, now - this.lastFrameAt) / SMOOTHING_FRAME_MS;
    const follow = 1 - Math.pow(smoothing, frames);
    this.ownDisplay = {
      x: this.ownDisplay.x + (target.x - this.ownDisplay.x) * follow,
      y: this.ownDisplay.y + (target.y - this.ownDisplay.y) * follow
    };
    return this.ownDisplay;
  }
};

// ../clients/ts/src/client.ts
var RTT_SAMPLES = 8;
var TickwireClient = class _TickwireClient {
  constructor(url, options) {
    this.world = new World();
    this.predictor = new Predictor();
    this.rateTracker = new SnapshotRateTracker();
    this.snapshots = new RateMeter();
    this.rtt = new RttMeter(RTT_SAMPLES);
    this.log = new EventLog();
    this.listeners = /* @__PURE__ */ new Map();
    this.direction = { x: 0, y: 0 };
    this.lastClose = null;
    this.welcomeInfo = null;
    this.newestTick = null;
    this.sessionState = "connecting";
    const timers = options.timers;
    this.now = timers === void 0 ? () => performance.now() : () => timers.now();
    this.session = new Session(
      {
        url,
        authToken: options.authToken ?? null,
        seat: options.seat ?? null,
        resumeToken: options.resumeToken ?? null,
        room: options.room ?? null,
        direction: () => this.direction,
        timers
      },
      {
        onState: (state) => {
          this.sessionState = state;
          this.emit("status", this.status);
        },
        onMessage: (event) => this.message(event),
        onSnapshot: (frame2) => this.snapshot(frame2),
        onProtocolError: (message) => this.emit("protocolError", message),
        onInput: (sequence, direction) => this.predictor.sent(sequence, direction, this.now()),
        onClose: (report) => {
          const silent = report.code === 1006 && report.reason === "" && !report.final;
          this.lastClose = silent && this.lastClose !== null ? { ...this.lastClose, retryInMs: report.retryInMs } : report;
          this.emit("close", report);
          this.emit("status", this.status);
        }
      }
    );
  }
  /** Connects to a server's WebSocket URL (`ws://host:port/ws`) at once. */
  static connect(url, options = {}) {
    return new _TickwireClient(url, options);
  }
  /**
   * Takes a seat through the matchmaking API at `httpOrigin` ("https://game.example")
   * and connects to the room's server with it.
   * @throws MatchmakerError when the matchmaker refuses (404 room gone, 409 full...).
   */
  static async join(httpOrigin, target = "quickPlay", options = {}) {
    const matchmaker2 = new Matchmaker(httpOrigin);
    let seat;
    if (target === "quickPlay") {
      seat = await matchmaker2.matchmake();
    } else if ("room" in target) {
      seat = await matchmaker2.join(target.room);
    } else if ("create" in target) {
      seat = await matchmaker2.create(target.create);
    } else {
      seat = await matchmaker2.matchmake(target.quickPlay);
    }
    return new _TickwireClient(seat.url, { ...options, seat: seat.seat });
  }
  /** Listens to `name`; returns the function that stops listening. */
  on(name, listener) {
    let set = this.listeners.get(name);
    if (set === void 0) {
      set = /* @__PURE__ */ new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }
  emit(name, value) {
    for (const listener of this.listeners.get(name) ?? []) {
      listener(value);
    }
  }
  /** The connection's state, and why it is not connected when it is not. */
  get status() {
    const close = this.lastClose;
    let reason = "";
    if (close !== null) {
      reason = closeNotice(close.code, close.reason, close.final ? null : this.session.retryInMs() ?? null);
    }
    return { state: this.sessionState, close, reason };
  }
  /**
   * The direction the own actor should move in (each component in [-1, 1]; longer
   * vectors are scaled to length 1). Sent at once and then with every scheduled Input.
   */
  sendInput(direction) {
    this.direction = clampDirection(direction);
    this.session.sendInputNow();
  }
  /** Where to draw the world at `frameTime` (performance.now(), e.g. requestAnimationFrame's time). */
  view(frameTime = this.now()) {
    const actors = this.world.actorsAt(frameTime);
    const predicted = this.world.waitingForState ? null : this.predictor.advance(frameTime);
    const last = actors.length > 0 ? actors[actors.length - 1] : void 0;
    const own = last !== void 0 && last.own ? last : null;
    if (predicted !== null && own !== null) {
      own.x = predicted.x;
      own.y = predicted.y;
    }
    return { actors, own, delayMs: this.world.delayAt(frameTime) };
  }
  /** Asks the server for at most `maxPerSecond` snapshots a second (0: as many as it sends), on every connection. */
  capSnapshots(maxPerSecond) {
    this.session.capSnapshots(maxPerSecond);
  }
  /**
   * Closes for good: 1000 (the default) means the player leaves and the actor goes;
   * 1001 (going away) lets a later session resume it.
   */
  close(code = 1e3) {
    this.session.close(code);
  }
  /** Connects again after close(1001), e.g. when a page comes back from the back-forward cache. */
  reopen() {
    this.session.reopen();
  }
  /** The last Welcome, or null before any. */
  get welcome() {
    return this.welcomeInfo;
  }
  get settings() {
    return this.world.settings;
  }
  get arenaSize() {
    return this.world.arenaSize;
  }
  get actorId() {
    return this.world.ownId;
  }
  get actorCount() {
    return this.world.actorCount;
  }
  /** The own actor's position in the newest snapshot (the server's word), or null. */
  get serverPosition() {
    return this.world.ownPosition;
  }
  /** The own actor's gameplay fields in the newest snapshot, name → value, or null. */
  get ownFields() {
    const fields = this.world.ownFields;
    return fields === null ? null : namedFields(this.welcomeInfo?.fieldNames ?? [], fields);
  }
  /** The newest server tick heard of, or null. */
  get tick() {
    return this.newestTick;
  }
  /** The tick of the state the mirror holds (0: none yet). */
  get mirrorTick() {
    return this.session.replication.mirror.tick;
  }
  /** Snapshots refused in this connection. */
  get applyErrors() {
    return this.session.replication.applyErrors;
  }
  /** Round-trip time averaged over the last few pings, in ms; null until the first is measured. */
  get rttMs() {
    return this.rtt.value;
  }
  /** Snapshots per second over the last 2 s; null until a second of them was seen. */
  snapshotsPerSecond(now = this.now()) {
    return this.snapshots.eventsPerSecond(now);
  }
  /** Snapshot bytes per second, likewise. */
  snapshotBytesPerSecond(now = this.now()) {
    return this.snapshots.amountPerSecond(now);
  }
  /** This client's snapshot interval in ticks (null before Welcome) and why it is throttled. */
  get snapshotRate() {
    return { everyTicks: this.rateTracker.everyTicks, reason: this.rateTracker.reason };
  }
  /** The game's gameplay events: the recent ones (oldest first) and how many in all. */
  get events() {
    return this.log;
  }
  /** The prediction of the own actor (input history, last error, last ack). */
  get prediction() {
    return this.predictor;
  }
  /** Successful reconnections of this client. */
  get reconnects() {
    return this.session.reconnects;
  }
  /** Milliseconds until the next connection attempt (0: under way), null when connected or closed. */
  retryInMs() {
    return this.session.retryInMs();
  }
  publishRate() {
    this.world.setSnapshotEveryTicks(this.rateTracker.everyTicks);
    const settings = this.world.settings;
    if (settings !== null) {
      this.predictor.speed = settings.movementSpeed;
      const everyTicks = this.rateTracker.everyTicks ?? settings.broadcastEvery;
      this.predictor.snapshotIntervalMs = everyTicks * 1e3 / Math.max(1, settings.tickRateHz);
    }
  }
  message(event) {
    switch (event.type) {
      case "welcome": {
        const previousActorId = this.welcomeInfo?.actorId ?? null;
        this.world.welcome(event.actorId, event.arenaSize, event.settings);
        this.predictor.reset();
        this.predictor.arena = event.arenaSize;
        this.rateTracker.welcome(event.settings);
        this.log.welcome(event.eventNames);
        this.lastClose = null;
        this.newestTick = event.tick;
        this.publishRate();
        this.welcomeInfo = {
          actorId: event.actorId,
          previousActorId,
          resumed: event.resumed,
          resumeToken: event.resumeToken,
          reconnects: this.session.reconnects,
          room: event.room,
          roomName: event.roomName,
          arenaSize: event.arenaSize,
          settings: event.settings,
          tick: event.tick,
          fieldNames: [...event.fieldNames],
          eventNames: [...event.eventNames]
        };
        this.emit("welcome", this.welcomeInfo);
        break;
      }
      case "inputAck":
        this.predictor.ack(event.sequence);
        this.emit("inputAck", { sequence: event.sequence, tick: event.tick });
        break;
      case "gameEvents": {
        const before = this.log.count;
        this.log.add(event.tick, event.events);
        const added = this.log.count - before;
        for (const named of this.log.recent.slice(-Math.min(added, this.log.recent.length))) {
          this.emit("gameEvent", named);
        }
        break;
      }
      case "settings":
        this.world.applySettings(event.settings);
        this.rateTracker.settings(event.settings);
        this.publishRate();
        this.emit("settings", event.settings);
        break;
      case "snapshotRate":
        this.rateTracker.rate(event.everyTicks, event.reason);
        this.publishRate();
        this.emit("rate", { everyTicks: event.everyTicks, reason: event.reason });
        break;
      case "ping":
        if (event.rttUs > 0) {
          this.rtt.record(event.rttUs / 1e3);
        }
        break;
      case "disconnect":
        this.emit("disconnect", { code: event.code, reason: event.reason });
        break;
    }
  }
  snapshot(frame2) {
    const now = this.now();
    this.snapshots.record(now, frame2.bytes);
    if (frame2.tick !== null && (this.newestTick === null || isAfter(frame2.tick, this.newestTick))) {
      this.newestTick = frame2.tick;
    }
    const receipt = frame2.receipt;
    if (receipt.outcome === "failed") {
      this.emit("snapshot", {
        applied: false,
        tick: frame2.tick,
        bytes: frame2.bytes,
        reason: receipt.reason,
        requestedFull: receipt.requestFull
      });
      return;
    }
    if (receipt.outcome !== "applied") {
      return;
    }
    this.world.addState(receipt.state, receipt.full ? null : receipt.spawned, now);
    const own = this.world.ownPosition;
    if (own !== null) {
      this.predictor.reconcile(own, now, this.rtt.value ?? 0);
    }
    this.emit("snapshot", {
      applied: true,
      tick: receipt.state.tick,
      full: receipt.full,
      bytes: frame2.bytes,
      actorCount: this.world.actorCount
    });
  }
};

// src/address.ts
function socketUrl(location2) {
  const scheme = location2.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location2.host}/ws`;
}
function authTokenFrom(search) {
  return nonEmptyParam(search, "token");
}
function roomFrom(search) {
  return nonEmptyParam(search, "room");
}
function withRoom(href, room) {
  const url = new URL(href);
  if (room === null) {
    url.searchParams.delete("room");
  } else {
    url.searchParams.set("room", room);
  }
  return url.href;
}
function nonEmptyParam(search, name) {
  const value = new URLSearchParams(search).get(name);
  return value === null || value === "" ? null : value;
}

// src/layout.ts
var MARGIN_PX = 24;
var MIN_ARENA_SIDE_PX = 80;
function placeArena(view, arena, hud2) {
  const centred = fitArena({ left: 0, top: 0, width: view.width, height: view.height }, arena);
  if (hud2 === null || !intersects(centred, hud2)) {
    return centred;
  }
  const usable = regionsBeside(view, hud2).map((region) => fitArena(region, arena)).filter((placement) => Math.min(placement.width, placement.height) >= MIN_ARENA_SIDE_PX);
  return largest(usable) ?? centred;
}
function fitArena(region, arena) {
  const scale = Math.max(
    0,
    Math.min((region.width - 2 * MARGIN_PX) / arena.x, (region.height - 2 * MARGIN_PX) / arena.y)
  );
  const width = arena.x * scale;
  const height = arena.y * scale;
  return {
    left: region.left + (region.width - width) / 2,
    top: region.top + (region.height - height) / 2,
    width,
    height,
    scale
  };
}
function intersects(a, b) {
  const overlapX = Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left);
  const overlapY = Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top);
  return overlapX > 0 && overlapY > 0;
}
function regionsBeside(view, hud2) {
  const hudRight = hud2.left + hud2.width;
  const hudBottom = hud2.top + hud2.height;
  return [
    { left: hudRight, top: 0, width: view.width - hudRight, height: view.height },
    { left: 0, top: hudBottom, width: view.width, height: view.height - hudBottom }
  ];
}
function largest(placements) {
  return placements.reduce(
    (best, placement) => best === void 0 || placement.scale > best.scale ? placement : best,
    void 0
  );
}

// src/render.ts
var COLORS = {
  background: "#0b0e13",
  arena: "#141a22",
  grid: "#1c2430",
  border: "#5b6b80",
  npc: "#3fb6a8",
  player: "#e0457b",
  /** The own actor; tests look for exactly this colour on the canvas. */
  own: "#ffd400",
  /** Field labels under actors. */
  label: "#c9d1d9"
};
var LABEL_FONT = "11px system-ui, sans-serif";
var GRID_LINES = 10;
function inside(value, low, high) {
  return low > high ? (low + high) / 2 : Math.min(high, Math.max(low, value));
}
var Renderer = class {
  constructor(canvas) {
    this.canvas = canvas;
    this.widthPx = 0;
    this.heightPx = 0;
    /** The HUD's rectangle on the canvas, which the arena keeps clear of; null: no HUD. */
    this.hud = null;
    /** Where the last draw put the arena; null when it drew none. */
    this.placement = null;
    const context = canvas.getContext("2d", { alpha: false });
    if (context === null) {
      throw new Error("this browser has no 2D canvas");
    }
    this.context = context;
    this.resize();
  }
  /** Matches the canvas's backing store to its CSS size and the device pixel ratio. */
  resize() {
    const ratio = window.devicePixelRatio || 1;
    this.widthPx = this.canvas.clientWidth;
    this.heightPx = this.canvas.clientHeight;
    this.canvas.width = Math.max(1, Math.round(this.widthPx * ratio));
    this.canvas.height = Math.max(1, Math.round(this.heightPx * ratio));
    this.context.setTransform(ratio, 0, 0, ratio, 0, 0);
  }
  /**
   * Tells the renderer where the HUD covers the canvas (CSS pixels; null: nowhere), so
   * that the next draws lay the arena out clear of it.
   */
  setHudRect(hud2) {
    this.hud = hud2;
  }
  /** Where the last draw put the arena, in CSS pixels; null when it drew none. */
  get arenaPlacement() {
    return this.placement;
  }
  /** @param fieldNames the game's gameplay field names, by slot (Welcome.field_names). */
  draw(arena, actors, fieldNames = []) {
    const ctx = this.context;
    ctx.fillStyle = COLORS.background;
    ctx.fillRect(0, 0, this.widthPx, this.heightPx);
    if (arena === null) {
      this.placement = null;
      return;
    }
    this.placement = placeArena({ width: this.widthPx, height: this.heightPx }, arena, this.hud);
    const { left, top, width, height, scale } = this.placement;
    ctx.fillStyle = COLORS.arena;
    ctx.fillRect(left, top, width, height);
    this.drawGrid(arena, left, top, scale);
    ctx.strokeStyle = COLORS.border;
    ctx.lineWidth = 2;
    ctx.strokeRect(left - 1, top - 1, width + 2, height + 2);
    const radius = Math.min(14, Math.max(5, Math.min(width, height) / 80));
    const labels = [];
    for (const actor of actors) {
      const reach = actor.own ? radius + 7 : radius + 1;
      const x = inside(left + actor.x * scale, left + reach, left + width - reach);
      const y = inside(top + actor.y * scale, top + reach, top + height - reach);
      const look = fieldLook(fieldNames, actor.fields);
      if (actor.own) {
        this.circle(x, y, radius + 1, look.fill ?? COLORS.own);
        ctx.strokeStyle = COLORS.own;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y, radius + 6, 0, 2 * Math.PI);
        ctx.stroke();
      } else {
        this.circle(x, y, radius, look.fill ?? (actor.kind === 1 /* Player */ ? COLORS.player : COLORS.npc));
      }
      if (look.label !== "") {
        labels.push({ x, y: y + radius + (actor.own ? 9 : 3), text: look.label });
      }
    }
    if (labels.length > 0) {
      ctx.font = LABEL_FONT;
      ctx.textAlign = "center";
      ctx.textBaseline = "top";
      ctx.fillStyle = COLORS.label;
      for (const label of labels) {
        ctx.fillText(label.text, label.x, label.y);
      }
    }
  }
  drawGrid(arena, left, top, scale) {
    const step = niceStep(Math.max(arena.x, arena.y) / GRID_LINES);
    const ctx = this.context;
    ctx.strokeStyle = COLORS.grid;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let x = step; x < arena.x; x += step) {
      const px = Math.round(left + x * scale) + 0.5;
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + arena.y * scale);
    }
    for (let y = step; y < arena.y; y += step) {
      const py = Math.round(top + y * scale) + 0.5;
      ctx.moveTo(left, py);
      ctx.lineTo(left + arena.x * scale, py);
    }
    ctx.stroke();
  }
  circle(x, y, radius, color) {
    const ctx = this.context;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
};
function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const factor of [1, 2, 5, 10]) {
    if (factor * power >= raw) {
      return factor * power;
    }
  }
  return 10 * power;
}

// src/hud.ts
var LABELS = {
  room: "room",
  state: "state",
  actor: "you",
  tick: "tick",
  rtt: "rtt",
  actors: "actors",
  rate: "snapshots/s",
  bytes: "snapshot bytes/s",
  tickRate: "server ticks",
  interval: "snapshots",
  input: "inputs sent",
  delay: "others drawn",
  fields: "fields"
};
var OPTIONAL = /* @__PURE__ */ new Set(["fields"]);
function describeRoom(roomName, room) {
  if (room === "") {
    return roomName === "" ? "–" : roomName;
  }
  return roomName === "" || roomName === room ? room : `${roomName} ${room}`;
}
function formatByteRate(bytesPerSecond) {
  if (bytesPerSecond < 1e3) {
    return `${Math.round(bytesPerSecond)} B/s`;
  }
  if (bytesPerSecond < 1e6) {
    return `${(bytesPerSecond / 1e3).toFixed(1)} kB/s`;
  }
  return `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;
}
function describeDelay(delayMs, settings) {
  if (delayMs === null || settings === null) {
    return "–";
  }
  const shown = Math.round(delayMs);
  const floor = settings.interpolationDelayMs;
  return shown <= floor ? `${floor} ms behind` : `${shown} ms behind (min ${floor} ms: the link is jittery)`;
}
function swatch(color, ring) {
  const dot = document.createElement("span");
  dot.className = "swatch";
  dot.style.background = color;
  if (ring) {
    dot.style.boxShadow = `0 0 0 2px #0b0e13, 0 0 0 4px ${color}`;
  }
  return dot;
}
var Hud = class {
  /** @param onLeave what the Leave button does. */
  constructor(root, onLeave) {
    this.values = /* @__PURE__ */ new Map();
    this.labels = /* @__PURE__ */ new Map();
    this.shownEvents = "";
    const list = document.createElement("dl");
    for (const field2 of Object.keys(LABELS)) {
      const label = document.createElement("dt");
      label.textContent = LABELS[field2];
      const value = document.createElement("dd");
      value.dataset.field = field2;
      list.append(label, value);
      this.values.set(field2, value);
      this.labels.set(field2, label);
      if (OPTIONAL.has(field2)) {
        label.hidden = true;
        value.hidden = true;
      }
    }
    this.events = document.createElement("ol");
    this.events.className = "events";
    this.events.hidden = true;
    this.notice = document.createElement("p");
    this.notice.className = "notice";
    const help = document.createElement("p");
    help.className = "help";
    help.textContent = "move: WASD or arrow keys";
    const legend = document.createElement("p");
    legend.className = "legend";
    legend.append(
      swatch(COLORS.own, true),
      " you  ",
      swatch(COLORS.player, false),
      " other players  ",
      swatch(COLORS.npc, false),
      " NPCs"
    );
    const leave = document.createElement("button");
    leave.type = "button";
    leave.dataset.action = "leave";
    leave.textContent = "Leave room";
    leave.addEventListener("click", () => {
      leave.blur();
      onLeave();
    });
    const actions = document.createElement("p");
    actions.className = "actions";
    actions.append(leave);
    root.replaceChildren(list, legend, this.events, this.notice, help, actions);
  }
  update(view) {
    this.set("room", describeRoom(view.roomName, view.room));
    this.set("state", view.state);
    this.values.get("state")?.setAttribute("data-state", view.state);
    this.set("actor", view.actorId === null ? "–" : `#${view.actorId}`);
    this.set("tick", view.tick === null ? "–" : String(view.tick));
    this.set("rtt", view.rttMs === null ? "–" : `${view.rttMs.toFixed(1)} ms`);
    this.set("actors", String(view.actorCount));
    this.set("rate", view.snapshotRate === null ? "–" : view.snapshotRate.toFixed(1));
    this.set("bytes", view.snapshotBytesPerSecond === null ? "–" : formatByteRate(view.snapshotBytesPerSecond));
    const settings = view.settings;
    const tickRate = settings?.tickRateHz ?? null;
    this.set("tickRate", settings === null ? "–" : perSecond(1, settings.tickRateHz));
    this.set("interval", describeInterval(view.snapshotEveryTicks, view.throttle, tickRate));
    this.values.get("interval")?.toggleAttribute("data-throttled", view.throttle !== "none");
    this.set("input", settings === null ? "–" : describeInterval(settings.inputEvery, "none", tickRate));
    this.set("delay", describeDelay(view.delayMs, settings));
    this.set("fields", view.fieldNames.join(", "));
    this.show("fields", view.fieldNames.length > 0);
    this.showEvents(view.events);
    const text = view.notice?.text ?? "";
    if (this.notice.textContent !== text) {
      this.notice.textContent = text;
    }
    this.notice.dataset.kind = view.notice?.kind ?? "info";
    this.notice.hidden = text === "";
  }
  showEvents(events) {
    const key = events.join("\n");
    if (key === this.shownEvents) {
      return;
    }
    this.shownEvents = key;
    this.events.replaceChildren(
      ...events.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      })
    );
    this.events.hidden = events.length === 0;
  }
  show(field2, shown) {
    for (const element of [this.labels.get(field2), this.values.get(field2)]) {
      if (element !== void 0 && element.hidden === shown) {
        element.hidden = !shown;
      }
    }
  }
  set(field2, text) {
    const element = this.values.get(field2);
    if (element !== void 0 && element.textContent !== text) {
      element.textContent = text;
    }
  }
};

// src/input.ts
var KEY_AXES = /* @__PURE__ */ new Map([
  ["KeyW", "up"],
  ["KeyA", "left"],
  ["KeyS", "down"],
  ["KeyD", "right"],
  ["ArrowUp", "up"],
  ["ArrowLeft", "left"],
  ["ArrowDown", "down"],
  ["ArrowRight", "right"]
]);
var Keyboard = class {
  /** @param onChange called whenever the set of pressed movement keys changes. */
  constructor(target, onChange) {
    this.onChange = onChange;
    this.pressed = /* @__PURE__ */ new Set();
    target.addEventListener("keydown", (event) => this.handle(event, true));
    target.addEventListener("keyup", (event) => this.handle(event, false));
    target.addEventListener("blur", () => this.releaseAll());
  }
  /** The move direction for the keys held now: length 1, or zero when none (or opposites). */
  direction() {
    const held = /* @__PURE__ */ new Set();
    for (const code of this.pressed) {
      const axis = KEY_AXES.get(code);
      if (axis !== void 0) {
        held.add(axis);
      }
    }
    const x = (held.has("right") ? 1 : 0) - (held.has("left") ? 1 : 0);
    const y = (held.has("down") ? 1 : 0) - (held.has("up") ? 1 : 0);
    const length = Math.hypot(x, y);
    return length === 0 ? { x: 0, y: 0 } : { x: x / length, y: y / length };
  }
  handle(event, down) {
    if (!KEY_AXES.has(event.code) || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    event.preventDefault();
    const changed = down ? !this.pressed.has(event.code) : this.pressed.has(event.code);
    if (!changed) {
      return;
    }
    if (down) {
      this.pressed.add(event.code);
    } else {
      this.pressed.delete(event.code);
    }
    this.onChange();
  }
  releaseAll() {
    if (this.pressed.size > 0) {
      this.pressed.clear();
      this.onChange();
    }
  }
};

// src/lobby.ts
var REFRESH_MS = 2e3;
function lobbyRows(rooms) {
  return rooms.map((room) => ({
    id: room.id,
    name: room.name,
    players: `${room.clients}/${room.maxClients}`,
    label: describeLabel(room.label),
    joinable: room.state === "open" && room.clients < room.maxClients
  }));
}
function describeLabel(label) {
  return Object.entries(label).map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`).join(", ");
}
var Lobby = class {
  constructor(root, actions) {
    this.root = root;
    this.actions = actions;
    /** Counts shows, so that a refresh answered after the lobby was hidden is dropped. */
    this.shown = 0;
    this.refreshTimer = null;
    const title = document.createElement("h1");
    title.textContent = "Tickwire rooms";
    this.notice = paragraph("notice");
    this.table = document.createElement("table");
    const head = this.table.createTHead().insertRow();
    for (const text of ["room", "id", "players", "label", ""]) {
      const cell = document.createElement("th");
      cell.textContent = text;
      head.append(cell);
    }
    this.body = this.table.createTBody();
    this.empty = paragraph("empty");
    this.empty.textContent = "No rooms yet.";
    this.listError = paragraph("list-error");
    const buttons = document.createElement("p");
    buttons.className = "actions";
    buttons.append(button("Create room", "create", () => this.act(() => actions.create())));
    buttons.append(button("Quick play", "quick-play", () => this.act(() => actions.quickPlay())));
    root.replaceChildren(title, this.notice, this.table, this.empty, this.listError, buttons);
  }
  /** Shows the lobby with `notice` (null: none) and keeps its list fresh until hidden. */
  show(notice2) {
    this.shown += 1;
    this.root.hidden = false;
    this.notice.textContent = notice2 ?? "";
    this.notice.hidden = notice2 === null;
    this.setBusy(false);
    this.refresh();
  }
  hide() {
    this.shown += 1;
    this.root.hidden = true;
    if (this.refreshTimer !== null) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
  }
  refresh() {
    if (this.refreshTimer !== null) {
      clearTimeout(this.refreshTimer);
      this.refreshTimer = null;
    }
    const at = this.shown;
    const next = () => {
      if (at === this.shown) {
        this.refreshTimer = setTimeout(() => this.refresh(), REFRESH_MS);
      }
    };
    this.actions.rooms().then(
      (rooms) => {
        if (at === this.shown) {
          this.listError.hidden = true;
          this.render(lobbyRows(rooms));
        }
        next();
      },
      (error) => {
        if (at === this.shown) {
          this.listError.textContent = `Could not list the rooms: ${error instanceof Error ? error.message : String(error)}`;
          this.listError.hidden = false;
        }
        next();
      }
    );
  }
  render(rows) {
    const busy = this.root.hasAttribute("data-busy");
    this.body.replaceChildren(
      ...rows.map((row) => {
        const line = document.createElement("tr");
        line.dataset.room = row.id;
        for (const text of [row.name, row.id, row.players, row.label]) {
          line.insertCell().textContent = text;
        }
        const join = button("Join", "join", () => this.act(() => this.actions.join(row.id)));
        join.dataset.joinable = String(row.joinable);
        join.disabled = busy || !row.joinable;
        line.insertCell().append(join);
        return line;
      })
    );
    this.table.hidden = rows.length === 0;
    this.empty.hidden = rows.length > 0;
  }
  act(action) {
    this.setBusy(true);
    action();
  }
  setBusy(busy) {
    this.root.toggleAttribute("data-busy", busy);
    for (const element of this.root.querySelectorAll("button")) {
      element.disabled = busy || element.dataset.joinable === "false";
    }
  }
};
function paragraph(className) {
  const element = document.createElement("p");
  element.className = className;
  element.hidden = true;
  return element;
}
function button(text, action, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = text;
  element.dataset.action = action;
  element.addEventListener("click", onClick);
  return element;
}

// src/resume-store.ts
var KEY_PREFIX = "tickwire.resume.";
var ResumeStore = class {
  /** @param storage sessionStorage, or null when the page may not use it. */
  constructor(storage) {
    this.storage = storage;
  }
  /** The token stored for `room`, or null (none, or not a token). */
  load(room) {
    const hex = this.attempt(() => this.storage?.getItem(KEY_PREFIX + room) ?? null) ?? null;
    if (hex === null || hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-f]+$/.test(hex)) {
      return null;
    }
    return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
  }
  /** Keeps `token` for `room` (null or empty: forgets it). */
  save(room, token) {
    if (token === null || token.length === 0) {
      this.forget(room);
      return;
    }
    const hex = Array.from(token, (byte) => byte.toString(16).padStart(2, "0")).join("");
    this.attempt(() => this.storage?.setItem(KEY_PREFIX + room, hex));
  }
  forget(room) {
    this.attempt(() => this.storage?.removeItem(KEY_PREFIX + room));
  }
  attempt(action) {
    try {
      return action();
    } catch {
      return void 0;
    }
  }
};
function tabStorage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

// src/entry.ts
var DEFAULT_ROOM = "default";
function stepOnLoad(room, token) {
  if (room === null) {
    return { kind: "lobby", notice: null };
  }
  if (token !== null) {
    return { kind: "resume", room, token };
  }
  return enterWithoutToken(room);
}
function stepAfterRefusal(room, hello, reason) {
  if (hello === "resume") {
    return enterWithoutToken(room);
  }
  const what = hello === "seat" ? `The seat in room ${room}` : `Room ${room}`;
  return { kind: "lobby", notice: `${what} was refused${reason === "" ? "" : `: ${reason}`}` };
}
function stepAfterJoinFailure(room, status2, error) {
  switch (status2) {
    case 404:
      return { kind: "lobby", notice: `Room ${room} is gone` };
    case 409:
      return { kind: "lobby", notice: `Room ${room} is full` };
    default:
      return { kind: "lobby", notice: `Could not join room ${room}: ${error}` };
  }
}
function enterWithoutToken(room) {
  return room === DEFAULT_ROOM ? { kind: "default" } : { kind: "join", room };
}

// src/room-flow.ts
var SEAT_REFUSED = 4005;
var RoomFlow = class {
  constructor(options) {
    this.options = options;
    /** The room the page is in or on its way to; null in the lobby. */
    this.room = null;
    /** What the current session's Hello carries (a Welcome turns a seat into a resume). */
    this.hello = "plain";
    /** Counts steps, so that an answer to an earlier one (a join answered after Leave) is dropped. */
    this.steps = 0;
  }
  /** Takes the first step, from the page's URL. */
  start() {
    const room = roomFrom(new URL(this.options.page.href).search);
    this.follow(stepOnLoad(room, room === null ? null : this.options.store.load(room)));
  }
  /** Joins the room `room` (the lobby's Join). */
  join(room) {
    this.follow({ kind: "join", room });
  }
  /** Creates a room and plays in it (the lobby's Create room). */
  create() {
    this.seatFrom(() => this.options.matchmaker.create(), "Could not create a room");
  }
  /** Joins an open room, or creates one (the lobby's Quick play). */
  quickPlay() {
    this.seatFrom(() => this.options.matchmaker.matchmake(), "Quick play failed");
  }
  /** A Welcome came: keeps its resume token for its room, and the room in the URL. */
  welcomed(welcome) {
    this.hello = "resume";
    if (welcome.room !== "" && welcome.room !== this.room) {
      this.room = welcome.room;
      this.setUrl(welcome.room);
    }
    if (this.room !== null) {
      this.options.store.save(this.room, welcome.resumeToken);
    }
  }
  /** A session closed; a refused seat or resume (4005) takes the next step. */
  closed(code, reason) {
    if (code === SEAT_REFUSED && this.room !== null) {
      this.options.store.forget(this.room);
      this.follow(stepAfterRefusal(this.room, this.hello, reason));
    }
  }
  /** Leaves the room for the lobby (the HUD's Leave). */
  leave() {
    if (this.room !== null) {
      this.options.store.forget(this.room);
    }
    this.follow({ kind: "lobby", notice: null });
  }
  follow(step) {
    const at = ++this.steps;
    switch (step.kind) {
      case "lobby":
        this.options.disconnect();
        this.room = null;
        this.setUrl(null);
        this.options.lobby.show(step.notice);
        break;
      case "resume":
        this.enter(step.room, "resume", { url: this.options.socketUrl, seat: null, resumeToken: step.token, room: step.room });
        break;
      case "default":
        this.enter(DEFAULT_ROOM, "plain", { url: this.options.socketUrl, seat: null, resumeToken: null, room: null });
        break;
      case "join":
        this.whenSeated(
          at,
          this.options.matchmaker.join(step.room),
          (error) => stepAfterJoinFailure(step.room, error.status, error.message)
        );
        break;
    }
  }
  seatFrom(request, failure) {
    this.whenSeated(++this.steps, request(), (error) => ({ kind: "lobby", notice: `${failure}: ${error.message}` }));
  }
  /**
   * Enters the seat `request` answers, or takes the step `onFailure` says, unless
   * another step was taken since step `at`.
   */
  whenSeated(at, request, onFailure) {
    request.then(
      (seat) => {
        if (at === this.steps) {
          this.seated(seat);
        }
      },
      (error) => {
        if (at === this.steps) {
          this.follow(onFailure(asMatchmakerError(error)));
        }
      }
    );
  }
  seated(seat) {
    this.options.store.forget(seat.room);
    this.enter(seat.room, "seat", { url: seat.url, seat: seat.seat, resumeToken: null, room: seat.room });
  }
  /** Connects to `room` with `target`, the room in the URL. */
  enter(room, hello, target) {
    this.hello = hello;
    this.room = room;
    this.setUrl(room);
    this.options.lobby.hide();
    this.options.connect(target);
  }
  setUrl(room) {
    const href = withRoom(this.options.page.href, room);
    if (href !== this.options.page.href) {
      this.options.page.replace(href);
    }
  }
};
function asMatchmakerError(error) {
  if (error instanceof MatchmakerError) {
    return error;
  }
  return new MatchmakerError(0, error instanceof Error ? error.message : String(error));
}

// src/status.ts
function publishStatus() {
  const status2 = {
    view: "room",
    room: null,
    roomName: null,
    state: "connecting",
    reconnects: 0,
    resumed: false,
    actorId: null,
    tick: null,
    mirrorTick: 0,
    actorCount: 0,
    ownPosition: null,
    predictedPosition: null,
    lastInputAck: null,
    lastInputSent: 0,
    predictionError: 0,
    drawnPositions: {},
    frameTime: null,
    frames: 0,
    interpolationDelayMs: null,
    arenaRect: null,
    fieldNames: [],
    ownFields: null,
    eventNames: [],
    events: [],
    eventCount: 0,
    snapshotBytes: 0,
    applyErrors: 0,
    fullSnapshotsApplied: 0,
    deltasApplied: 0,
    rttMs: null,
    lastDisconnect: null,
    arenaSize: null,
    settings: null,
    snapshotEveryTicks: null,
    throttleReason: "none"
  };
  window.tickwire = status2;
  return status2;
}

// src/visibility.ts
var HIDDEN_SNAPSHOTS_PER_SECOND = 2;
function snapshotCap(doc) {
  return doc.visibilityState === "hidden" ? HIDDEN_SNAPSHOTS_PER_SECOND : 0;
}
function watchVisibility(doc, onCap) {
  doc.addEventListener("visibilitychange", () => onCap(snapshotCap(doc)));
}

// src/main.ts
function requireElement(id, type) {
  const element = document.getElementById(id);
  if (!(element instanceof type)) {
    throw new Error(`index.html should have a <${type.name}> with id "${id}"`);
  }
  return element;
}
var HUD_EVENTS = 5;
var RECONNECTED_NOTICE_MS = 5e3;
var status = publishStatus();
var renderer = new Renderer(requireElement("view", HTMLCanvasElement));
var hudElement = requireElement("hud", HTMLElement);
var hud = new Hud(hudElement, () => flow.leave());
var client = null;
var notice = null;
var noticeUntil = null;
var resyncNotice = null;
function publishRate(of) {
  status.snapshotEveryTicks = of.snapshotRate.everyTicks;
  status.throttleReason = of.snapshotRate.reason;
}
function publishPrediction(of) {
  status.predictedPosition = of.prediction.position;
  status.lastInputAck = of.prediction.lastAck;
  status.lastInputSent = of.prediction.lastSent;
  status.predictionError = of.prediction.lastError;
}
function watch(of) {
  of.on("status", (next) => {
    if (status.state !== next.state) {
      status.state = next.state;
    }
    const close = next.close;
    if (close !== null) {
      const retry = close.retryInMs === null ? "not retrying" : `retrying in ${Math.round(close.retryInMs)} ms`;
      console.info(`tickwire: connection closed (${close.code}${close.reason ? `: ${close.reason}` : ""}); ${retry}`);
    }
  });
  of.on("welcome", (welcome) => {
    flow.welcomed(welcome);
    if (welcome.reconnects > 0) {
      const previous = welcome.previousActorId;
      const text = welcome.resumed ? `reconnected: resumed actor #${welcome.actorId}` : `reconnected as a new actor #${welcome.actorId} (actor #${previous ?? "?"} could not be resumed)`;
      showNotice({ kind: "info", text }, RECONNECTED_NOTICE_MS);
      if (!welcome.resumed) {
        console.info(`tickwire: new session, own actor #${previous ?? "?"} -> #${welcome.actorId}`);
      }
    } else {
      showNotice(null);
    }
    resyncNotice = null;
    status.reconnects = welcome.reconnects;
    status.room = welcome.room;
    status.roomName = welcome.roomName;
    status.resumed = welcome.resumed;
    status.applyErrors = 0;
    status.actorId = welcome.actorId;
    status.arenaSize = welcome.arenaSize;
    status.settings = welcome.settings;
    status.tick = welcome.tick;
    status.fieldNames = [...welcome.fieldNames];
    status.eventNames = [...welcome.eventNames];
    publishRate(of);
    publishPrediction(of);
  });
  of.on("inputAck", () => publishPrediction(of));
  of.on("gameEvent", () => {
    status.events = of.events.recent.map((named) => ({ ...named }));
    status.eventCount = of.events.count;
  });
  of.on("settings", (settings) => {
    status.settings = settings;
    publishRate(of);
  });
  of.on("rate", () => publishRate(of));
  of.on("disconnect", (disconnect2) => {
    status.lastDisconnect = disconnect2;
  });
  of.on("protocolError", (message) => {
    console.warn(`tickwire: ${message}`);
    showNotice({ kind: "error", text: `protocol error: ${message}` });
  });
  of.on("snapshot", (snapshot) => {
    status.snapshotBytes = snapshot.bytes;
    status.tick = of.tick;
    if (!snapshot.applied) {
      status.applyErrors = of.applyErrors;
      console.warn(`tickwire: snapshot ${snapshot.tick ?? "?"} not applied: ${snapshot.reason}`);
      if (snapshot.requestedFull) {
        resyncNotice = { kind: "error", text: `snapshot refused (${snapshot.reason}); asked for a full snapshot` };
        showNotice(resyncNotice);
      }
      return;
    }
    status.mirrorTick = of.mirrorTick;
    if (snapshot.full) {
      status.fullSnapshotsApplied += 1;
    } else {
      status.deltasApplied += 1;
    }
    status.actorCount = snapshot.actorCount;
    status.ownPosition = of.serverPosition;
    publishPrediction(of);
    status.ownFields = of.ownFields;
    if (resyncNotice !== null && notice === resyncNotice) {
      showNotice(null);
    }
    resyncNotice = null;
  });
}
function showNotice(next, forMs = null) {
  notice = next;
  noticeUntil = forMs === null ? null : performance.now() + forMs;
}
function currentNotice(now) {
  const closed = client?.status;
  if (closed !== void 0 && closed.close !== null) {
    return { kind: closed.close.final ? "error" : "info", text: closed.reason };
  }
  if (noticeUntil !== null && now >= noticeUntil) {
    showNotice(null);
  }
  return notice;
}
var keyboard = new Keyboard(window, () => client?.sendInput(keyboard.direction()));
var wantedCap = snapshotCap(document);
function connect(target) {
  client?.close();
  resyncNotice = null;
  showNotice(null);
  status.state = "connecting";
  status.reconnects = 0;
  const next = TickwireClient.connect(target.url, {
    authToken: authTokenFrom(location.search),
    seat: target.seat,
    resumeToken: target.resumeToken,
    room: target.room
  });
  client = next;
  watch(next);
  next.on("close", (report) => flow.closed(report.code, report.reason));
  next.sendInput(keyboard.direction());
  next.capSnapshots(wantedCap);
}
function disconnect() {
  client?.close();
  client = null;
}
var matchmaker = new Matchmaker(location.origin);
var lobby = new Lobby(requireElement("lobby", HTMLElement), {
  rooms: () => matchmaker.rooms(),
  join: (room) => flow.join(room),
  create: () => flow.create(),
  quickPlay: () => flow.quickPlay()
});
var flow = new RoomFlow({
  matchmaker,
  store: new ResumeStore(tabStorage()),
  lobby: {
    show(notice2) {
      lobby.show(notice2);
      status.view = "lobby";
    },
    hide() {
      lobby.hide();
      status.view = "room";
    }
  },
  page: {
    get href() {
      return location.href;
    },
    replace(href) {
      history.replaceState(history.state, "", href);
    }
  },
  socketUrl: socketUrl(location),
  connect,
  disconnect
});
function trackHud(element) {
  const measure = () => renderer.setHudRect(element.getBoundingClientRect());
  new ResizeObserver(measure).observe(element);
  window.addEventListener("resize", measure);
}
watchVisibility(document, (maxPerSecond) => {
  wantedCap = maxPerSecond;
  client?.capSnapshots(maxPerSecond);
});
window.addEventListener("resize", () => renderer.resize());
trackHud(hudElement);
window.addEventListener("pagehide", () => client?.close(1001));
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    client?.reopen();
  }
});
function frame(now) {
  const view = client?.view(now) ?? null;
  const actors = view?.actors ?? [];
  const own = view?.own ?? null;
  status.predictedPosition = own === null ? null : { x: own.x, y: own.y };
  const drawn = {};
  for (const actor of actors) {
    drawn[actor.id] = { x: actor.x, y: actor.y };
  }
  status.drawnPositions = drawn;
  status.frameTime = now;
  status.frames += 1;
  status.interpolationDelayMs = view?.delayMs ?? null;
  const fieldNames = client?.welcome?.fieldNames ?? [];
  renderer.draw(client?.arenaSize ?? null, actors, fieldNames);
  status.arenaRect = renderer.arenaPlacement;
  status.rttMs = client?.rttMs ?? null;
  const rate = client?.snapshotRate ?? { everyTicks: null, reason: "none" };
  hud.update({
    roomName: status.roomName ?? "",
    room: status.room ?? "",
    state: status.state,
    actorId: client?.actorId ?? null,
    tick: status.tick,
    rttMs: status.rttMs,
    actorCount: client?.actorCount ?? 0,
    snapshotRate: client?.snapshotsPerSecond(now) ?? null,
    snapshotBytesPerSecond: client?.snapshotBytesPerSecond(now) ?? null,
    settings: client?.settings ?? null,
    snapshotEveryTicks: rate.everyTicks,
    throttle: rate.reason,
    delayMs: view?.delayMs ?? null,
    fieldNames,
    events: client?.events.lines(HUD_EVENTS) ?? [],
    notice: currentNotice(now)
  });
  requestAnimationFrame(frame);
}
flow.start();
requestAnimationFrame(frame);
