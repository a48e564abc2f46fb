# pack NAME: w/NAME, an unpacked bundle the test altered, packed again
# as NAME.tar in the order of cfjl-export(5); entries it lacks are left
# out, and extra/* goes last (an entry of no format).
pack()
{
	(cd "w/$1" && tar --format=ustar -cf "../../$1.tar" \
	    $(ls manifest.json certs/seal.pem certs/tsa.pem checkpoint.xml \
	    2>/dev/null) \
	    $(ls lots/* 2>/dev/null | sort) $(ls paths/* 2>/dev/null | sort) \
	    $(ls events/* 2>/dev/null | sort) $(ls extra/* 2>/dev/null))
}
